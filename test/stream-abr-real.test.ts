import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lastJsonLine, runCli } from './helpers/cli.ts';

interface RealReport {
  summary: { lastLatencyP95Ms: number | null };
  samples: {
    tS: number;
    targetBps: number;
    sentBps: number;
    framesDecoded: number;
    latencyP95Ms: number | null;
  }[];
  maxStallMs: number;
}

// The scenario checked independently: serve starts at 8 Mbit/s on a loopback shaped to 3 Mbit/s.
test(
  'real shaped link: started at 8 Mbit/s on 3 Mbit/s, the stream settles under 3 Mbit/s within 20 s, p95 glass-to-glass ≤ 250 ms, still decoding',
  { skip: process.getuid?.() !== 0 ? 'needs root for network namespaces' : false, timeout: 120_000 },
  async () => {
    const r = await runCli(['bench', 'abr', '--real', '--trace', 'settle', '--json'], { timeoutMs: 110_000 });
    assert.equal(r.code, 0, r.stderr);
    const report = lastJsonLine(r.stdout) as RealReport;
    const after20 = report.samples.filter((s) => s.tS >= 20);
    assert.ok(after20.length > 4, 'the run lasted past 20 s');
    for (const s of after20) {
      assert.ok(s.targetBps < 3e6, `target ${s.targetBps} at ${s.tS.toFixed(1)} s`);
      assert.ok(s.sentBps < 3e6, `sent ${s.sentBps} at ${s.tS.toFixed(1)} s`);
    }
    const last = report.samples.at(-1)!;
    assert.ok(
      last.latencyP95Ms !== null && last.latencyP95Ms <= 250,
      `glass-to-glass p95 ${last.latencyP95Ms} ms`,
    );
    const decodedAt20 = after20[0]!.framesDecoded;
    assert.ok(
      last.framesDecoded > decodedAt20 + 60,
      `decoded ${last.framesDecoded - decodedAt20} frames after 20 s`,
    );
  },
);
