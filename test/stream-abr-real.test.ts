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
    // Settled: what goes on the wire is under 3 Mbit/s (the sent rate is counted as bytes reach
    // the socket, so a sample may read a few per cent over the wire for a moment), and so is the
    // encoder's setting but for the controller's probes, which test for more capacity a few
    // hundred milliseconds at a time.
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
    const sent = after20.map((s) => s.sentBps);
    const targets = after20.map((s) => s.targetBps);
    assert.ok(median(sent) < 3e6, `median sent ${median(sent)}`);
    assert.ok(Math.max(...sent) < 3.1e6, `sent up to ${Math.max(...sent)}`);
    assert.ok(median(targets) < 3e6, `median target ${median(targets)}`);
    const over = targets.filter((b) => b >= 3e6).length;
    assert.ok(
      over <= 0.2 * targets.length,
      `target at or over 3 Mbit/s in ${over} of ${targets.length} samples`,
    );
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
