import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { lossRuleArgs, ShapedNamespace, tbfArgs } from '../src/netem/netns.ts';
import { tempDir } from './helpers/tmp.ts';

test('tbf and loss rule arguments', () => {
  // 5 Mbit/s: 200 ms of queue is 125 000 bytes; burst 2500 B is below 4 MTUs, so 6000.
  assert.deepEqual(tbfArgs({ rateBps: 5e6 }), [
    'tbf',
    'rate',
    '5000000bit',
    'burst',
    '6000',
    'limit',
    '125000',
  ]);
  assert.deepEqual(tbfArgs({ rateBps: 100e6, queueMs: 50 }), [
    'tbf',
    'rate',
    '100000000bit',
    'burst',
    '50000',
    'limit',
    '625000',
  ]);
  assert.deepEqual(lossRuleArgs(10), [
    '-o',
    'lo',
    '-m',
    'statistic',
    '--mode',
    'random',
    '--probability',
    '0.1000',
    '-j',
    'DROP',
  ]);
});

// A TCP sender and receiver on the namespace's loopback: measures goodput over 1.5 s.
const THROUGHPUT = `
import net from 'node:net';
const server = net.createServer((s) => { let n = 0; const t0 = performance.now();
  s.on('data', (b) => { n += b.length; });
  setTimeout(() => { console.log(JSON.stringify({ bps: (n * 8) / ((performance.now() - t0) / 1000) })); process.exit(0); }, 1500); });
server.listen(0, '127.0.0.1', () => {
  const c = net.connect(server.address().port, '127.0.0.1');
  const chunk = Buffer.alloc(64 * 1024);
  const pump = () => { while (c.write(chunk)) {} };
  c.on('drain', pump); c.on('connect', pump); c.on('error', () => {});
});`;

test(
  'a shaped namespace loopback carries the rate it is shaped to, follows steps, loses packets on request, and has no other link',
  { skip: process.getuid?.() !== 0 ? 'needs root' : false },
  async () => {
    using dir = tempDir();
    const script = join(dir.path, 'tp.mjs');
    writeFileSync(script, THROUGHPUT);
    await using ns = await ShapedNamespace.create('qs-test');
    const measure = async () =>
      (JSON.parse((await ns.exec(process.execPath, [script])).stdout) as { bps: number }).bps;
    const mbit = (bps: number) => (bps / 1e6).toFixed(2);

    await ns.shape({ rateBps: 4_000_000 });
    const slow = await measure();
    assert.ok(slow > 3_000_000 && slow < 4_400_000, `measured ${mbit(slow)} Mbit/s on a 4 Mbit/s link`);

    await ns.shape({ rateBps: 12_000_000 });
    const fast = await measure();
    assert.ok(fast > 9_000_000 && fast < 13_000_000, `measured ${mbit(fast)} Mbit/s on a 12 Mbit/s link`);

    // 10% loss: on a loopback the round trip is microseconds, so TCP recovers at once and still
    // fills the link; the rule's own counter shows the drops.
    await ns.shape({ rateBps: 12_000_000, lossPercent: 10 });
    // A rule without a target before the drop rule counts every packet the drop rule sees.
    await ns.exec('iptables', ['-I', 'OUTPUT', '1', '-o', 'lo']);
    await measure();
    const counters = (await ns.exec('iptables', ['-L', 'OUTPUT', '-v', '-x', '-n'])).stdout;
    const rows = counters
      .split('\n')
      .slice(2)
      .filter((l) => l.trim() !== '')
      .map((l) => ({ packets: Number(l.trim().split(/\s+/)[0]), drop: l.includes('DROP') }));
    const sent = rows.find((r) => !r.drop)?.packets ?? 0;
    const dropped = rows.find((r) => r.drop)?.packets ?? 0;
    const share = dropped / sent;
    assert.ok(
      share > 0.07 && share < 0.13,
      `dropped ${dropped} of ${sent} packets (${(share * 100).toFixed(1)}%)`,
    );

    const links = (await ns.exec('ip', ['-o', 'link'])).stdout.trim().split('\n');
    assert.equal(links.length, 1);
    assert.match(links[0] ?? '', /lo:/);
  },
);
