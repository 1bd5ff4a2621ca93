import assert from 'node:assert/strict';
import { test } from 'node:test';

import { isQuadStreamError } from '../src/core/errors.ts';
import {
  LADDER_2160P120,
  createLadderParams,
  createLadderState,
  describeRung,
  ladderStep,
  pixelRate,
} from '../src/core/rate/ladder.ts';
import type { LadderState } from '../src/core/rate/ladder.ts';

const M = 1_000_000;
const params = createLadderParams(LADDER_2160P120);

test('pixel rates and the bit rates the default thresholds give', () => {
  assert.equal(pixelRate(LADDER_2160P120[0]!), 995_328_000);
  // Down below 0.02 bit/pixel: 19.9 Mbit/s at 2160p120, 4.42 at 1440p60, 2.49 at 1080p60.
  assert.equal(0.02 * pixelRate(LADDER_2160P120[0]!), 19_906_560);
  assert.equal(0.02 * pixelRate(LADDER_2160P120[2]!), 4_423_680);
  assert.equal(describeRung(LADDER_2160P120[5]!), '1280x720@30');
});

test('steps down as far as needed at once, after the down dwell', () => {
  const s0 = createLadderState();
  const hold = ladderStep(s0, 25 * M, 0, params);
  assert.deepEqual(hold.decision, { rungIndex: 0, rung: LADDER_2160P120[0], change: null, reason: 'hold' });
  const one = ladderStep(s0, 15 * M, 0, params);
  assert.equal(one.decision.change, 'down');
  assert.equal(one.decision.rungIndex, 1); // 2160p60 needs 9.95 Mbit/s
  // 3 Mbit/s from 2160p120: skips to 1080p60 (2.49 Mbit/s).
  const far = ladderStep(s0, 3 * M, 0, params);
  assert.equal(far.decision.rungIndex, 3);
  assert.equal(far.state.lastChangeMs, 0);
  assert.match(far.decision.reason, /^0\.0030 bit\/pixel < 0\.02 at 3840x2160@120$/);
  // Below every rung: the bottom one (720p30 needs 0.55 Mbit/s).
  assert.equal(ladderStep(s0, 0.1 * M, 0, params).decision.rungIndex, 5);
  // A second drop within a second of the first waits.
  const early = ladderStep(far.state, 1 * M, 500, params);
  assert.equal(early.decision.change, null);
  assert.equal(early.decision.rungIndex, 3);
  const later = ladderStep(far.state, 1 * M, 1000, params);
  assert.equal(later.decision.rungIndex, 5);
});

test('steps up one rung at a time, after 2 s above the up threshold and 5 s since the last change', () => {
  let s: LadderState = { rungIndex: 3, lastChangeMs: 0, upCandidateSinceMs: null };
  // 1440p60 needs 0.03 × 221 184 000 = 6.64 Mbit/s to step up to.
  assert.equal(ladderStep(s, 6.5 * M, 10_000, params).decision.change, null);
  s = ladderStep(s, 7 * M, 1_000, params).state;
  assert.equal(s.upCandidateSinceMs, 1_000);
  s = ladderStep(s, 7 * M, 3_500, params).state;
  assert.equal(s.rungIndex, 3); // sustained 2.5 s, but only 3.5 s since the last change
  const up = ladderStep(s, 7 * M, 5_000, params);
  assert.equal(up.decision.change, 'up');
  assert.equal(up.decision.rungIndex, 2);
  assert.equal(up.state.lastChangeMs, 5_000);
  // A dip below the threshold restarts the sustain timer.
  let t: LadderState = { rungIndex: 3, lastChangeMs: 0, upCandidateSinceMs: null };
  t = ladderStep(t, 7 * M, 10_000, params).state;
  t = ladderStep(t, 6 * M, 11_000, params).state;
  assert.equal(t.upCandidateSinceMs, null);
  t = ladderStep(t, 7 * M, 11_500, params).state;
  assert.equal(ladderStep(t, 7 * M, 13_000, params).decision.change, null);
  assert.equal(ladderStep(t, 7 * M, 13_500, params).decision.change, 'up');
});

test('hysteresis: after stepping up, the same target does not step down again', () => {
  const up = ladderStep({ rungIndex: 3, lastChangeMs: null, upCandidateSinceMs: 0 }, 7 * M, 2_000, params);
  assert.equal(up.decision.rungIndex, 2);
  const after = ladderStep(up.state, 7 * M, 60_000, params);
  assert.equal(after.decision.change, null);
  assert.equal(after.decision.rungIndex, 2);
});

test('the top and bottom rungs are the limits', () => {
  assert.equal(ladderStep(createLadderState(0), 1_000 * M, 0, params).decision.change, null);
  assert.equal(ladderStep(createLadderState(5), 0, 0, params).decision.change, null);
});

test('bad ladders are configuration errors that say what is wrong', () => {
  const code = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      assert.ok(isQuadStreamError(e));
      assert.equal(e.kind, 'config');
      return e.code;
    }
    return 'no error';
  };
  assert.equal(
    code(() => createLadderParams([])),
    'ladder.empty',
  );
  assert.equal(
    code(() => createLadderParams([LADDER_2160P120[2]!, LADDER_2160P120[1]!])),
    'ladder.order',
  );
  assert.equal(
    code(() => createLadderParams([{ width: 0, height: 720, fps: 30 }])),
    'ladder.rung',
  );
  assert.equal(
    code(() => createLadderParams(LADDER_2160P120, { upBitsPerPixel: 0.02 })),
    'ladder.hysteresis',
  );
});
