import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { lossRuleArgs, queueArgs, ShapedNamespace, shapedClassArgs } from '../src/netem/netns.ts';
import { tempDir } from './helpers/tmp.ts';

test('shaped class, queue and loss rule arguments', () => {
  // 5 Mbit/s: 200 ms of queue is 125 000 bytes; burst 156 B (1/4 ms) is below one MTU, so 1500.
  assert.deepEqual(shapedClassArgs({ rateBps: 5e6 }), [
    'parent',
    '1:',
    'classid',
    '1:20',
    'htb',
    'rate',
    '5000000bit',
    'ceil',
    '5000000bit',
    'burst',
    '1500',
    'cburst',
    '1500',
  ]);
  assert.deepEqual(queueArgs({ rateBps: 5e6 }), [
    'parent',
    '1:20',
    'handle',
    '20:',
    'bfifo',
    'limit',
    '125000',
  ]);
  assert.deepEqual(shapedClassArgs({ rateBps: 100e6 }).slice(-4), ['burst', '3125', 'cburst', '3125']);
  assert.deepEqual(queueArgs({ rateBps: 100e6, queueMs: 50 }).at(-1), '625000');
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
  assert.deepEqual(lossRuleArgs(2, 8080).slice(0, 6), ['-o', 'lo', '-p', 'tcp', '--sport', '8080']);
});

// A TCP sender and receiver on the namespace's loopback: measures goodput over 1.5 s. With
// `upload` the client sends to the server; otherwise the server sends to the client. The server
// listens on the port given as the first argument.
const THROUGHPUT = `
import net from 'node:net';
const [port, direction] = process.argv.slice(2);
const receive = (s) => { let n = 0; const t0 = performance.now();
  s.on('data', (b) => { n += b.length; });
  setTimeout(() => { console.log(JSON.stringify({ bps: (n * 8) / ((performance.now() - t0) / 1000) })); process.exit(0); }, 1500); };
const send = (s) => { const chunk = Buffer.alloc(64 * 1024); const pump = () => { while (s.write(chunk)) {} };
  s.on('drain', pump); s.on('error', () => {}); pump(); };
const server = net.createServer((s) => (direction === 'upload' ? receive(s) : send(s)));
server.listen(Number(port), '127.0.0.1', () => {
  const c = net.connect(Number(port), '127.0.0.1');
  c.on('connect', () => (direction === 'upload' ? send(c) : receive(c))); c.on('error', () => {});
});`;

test(
  "a shaped namespace loopback carries the rate it is shaped to, follows steps, loses packets on request, shapes one port's downlink alone, and has no other link",
  { skip: process.getuid?.() !== 0 ? 'needs root' : false },
  async () => {
    using dir = tempDir();
    const script = join(dir.path, 'tp.mjs');
    writeFileSync(script, THROUGHPUT);
    await using ns = await ShapedNamespace.create('qs-test');
    const measure = async (port = 7000, direction = 'download') =>
      (
        JSON.parse((await ns.exec(process.execPath, [script, String(port), direction])).stdout) as {
          bps: number;
        }
      ).bps;
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

    // Shaping one server port's downlink: that direction is shaped, the uplink to it is not.
    await ns.shape({ rateBps: 4_000_000, sourcePort: 7001 });
    const down = await measure(7001, 'download');
    assert.ok(down > 3_000_000 && down < 4_400_000, `downlink ${mbit(down)} Mbit/s on a 4 Mbit/s link`);
    const up = await measure(7001, 'upload');
    assert.ok(up > 50_000_000, `uplink ${mbit(up)} Mbit/s: not shaped`);
    const other = await measure(7002, 'download');
    assert.ok(other > 50_000_000, `another port's downlink ${mbit(other)} Mbit/s: not shaped`);
    await ns.shape({ rateBps: 8_000_000, sourcePort: 7001 });
    const stepped = await measure(7001, 'download');
    assert.ok(stepped > 6_000_000 && stepped < 8_800_000, `downlink ${mbit(stepped)} Mbit/s on 8 Mbit/s`);

    const links = (await ns.exec('ip', ['-o', 'link'])).stdout.trim().split('\n');
    assert.equal(links.length, 1);
    assert.match(links[0] ?? '', /lo:/);
  },
);
