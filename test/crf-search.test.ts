import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crfSearchStep, type CrfProbe, type CrfSearchParams } from '../src/core/crf-search.ts';

/** Runs the search against a quality curve and returns the probes it made and its verdict. */
function search(curve: (crf: number) => number, p: CrfSearchParams) {
  const probes: CrfProbe[] = [];
  for (;;) {
    const step = crfSearchStep(probes, p);
    if (step.done) return { probes, step };
    probes.push({ crf: step.nextCrf, score: curve(step.nextCrf) });
  }
}

const params: CrfSearchParams = { target: 93, minCrf: 10, maxCrf: 50, initialCrf: 30 };
// A typical curve: about 1.1 VMAF per CRF step near the target.
const linear = (crf: number) => 99 - 1.1 * (crf - 18);

test('golden: a linear curve is hit in three probes (guess, bisection, interpolation)', () => {
  const { probes, step } = search(linear, params);
  assert.deepEqual(
    probes.map((x) => x.crf),
    [30, 20, 23],
  );
  assert.ok(step.done);
  assert.equal(step.crf, 23);
  assert.equal(step.reason, 'within-tolerance');
  assert.ok(Math.abs(step.score - 93) <= 0.5);
});

test('golden: a convex curve converges within six probes and never exceeds the budget', () => {
  const convex = (crf: number) => 100 - 0.012 * crf * crf;
  const { probes, step } = search(convex, params);
  assert.ok(probes.length <= 6);
  assert.ok(step.done);
  // 100 - 0.012 c² = 93 at c ≈ 24.15: interpolation between 30 (89.2) and 20 (95.2) lands on 24 (93.09).
  assert.equal(step.crf, 24);
  assert.equal(step.reason, 'within-tolerance');
  assert.deepEqual(
    probes.map((x) => x.crf),
    [30, 20, 24],
  );
});

test('unreachable targets end with the best-quality (lowest) or the cheapest (highest) CRF tried', () => {
  const low = search(() => 80, params);
  assert.ok(low.step.done);
  assert.deepEqual(
    low.probes.map((x) => x.crf),
    [30, 20, 15, 12, 11, 10],
  );
  assert.equal(low.step.crf, 10);
  const high = search(() => 99.5, params);
  assert.ok(high.step.done);
  assert.equal(high.step.reason, 'range-edge');
  assert.equal(high.step.crf, 50);
  assert.deepEqual(
    high.probes.map((x) => x.crf),
    [30, 40, 45, 48, 49, 50],
  );
});

test('a steep step between two adjacent CRFs ends as bracket-exhausted, choosing the side that reaches the target', () => {
  const cliff = (crf: number) => (crf <= 27 ? 95 : 90);
  const { step, probes } = search(cliff, params);
  assert.ok(step.done);
  assert.equal(step.reason, 'bracket-exhausted');
  assert.equal(step.crf, 27);
  assert.ok(probes.length <= 6);
});
