import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

async function run(args: string[]): Promise<Run> {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

function oneLine(r: Run, pattern: RegExp): void {
  assert.equal(r.code, 2, `exit code ${r.code}; stderr: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got: ${r.stderr}`);
  assert.match(lines[0]!, pattern);
}

test('serve: a missing file source is one line on stderr and exit code 2', async () => {
  oneLine(
    await run(['serve', '--source', 'file:/nonexistent/clip.mp4', '--port', '0']),
    /^quadstream: \/nonexistent\/clip\.mp4: no such file$/,
  );
});

test('serve: a port in use is one line on stderr and exit code 2', async () => {
  const blocker = createServer();
  blocker.listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  const port = (blocker.address() as { port: number }).port;
  try {
    oneLine(
      await run(['serve', '--size', '320x180', '--port', String(port)]),
      new RegExp(`^quadstream: port ${port} on 127\\.0\\.0\\.1 is in use \\(choose another with --port\\)$`),
    );
  } finally {
    blocker.close();
  }
});

test('serve: bad flags are usage errors (exit 2)', async () => {
  oneLine(await run(['serve', '--size', '100']), /--size 100: expected WIDTHxHEIGHT/);
  oneLine(await run(['serve', '--codec', 'mpeg2']), /--codec mpeg2: expected h264, vp9, av1 or hevc/);
  oneLine(await run(['serve', '--source', 'webcam', '--port', '0']), /unknown source "webcam"/);
});

test('serve: prints the URL, serves the player, /stats and /metrics, and stops cleanly on SIGTERM', async () => {
  const child = spawn(process.execPath, [MAIN, 'serve', '--size', '320x180', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed; stderr: ${stderr}`)), 20_000);
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const m = /Open (http:\/\/127\.0\.0\.1:\d+\/) in a browser/.exec(stdout);
        if (m !== null) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    assert.match(stdout, /streaming test 320x180@60; codecs: h264 \(libx264/);
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<canvas><\/canvas>[\s\S]*\/player\.js/);
    const js = await fetch(`${url}worker.js`);
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.match(await js.text(), /VideoDecoder/);
    const stats = (await (await fetch(`${url}stats`)).json()) as { viewers: unknown[]; stream: unknown };
    assert.deepEqual(stats, { viewers: [], stream: null });
    const metrics = await (await fetch(`${url}metrics`)).text();
    assert.match(metrics, /^quadstream_viewers 0$/m);
    assert.equal((await fetch(`${url}nothing-here`)).status, 404);
  } finally {
    child.kill('SIGTERM');
  }
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0, stderr);
  assert.match(stdout, /QuadStream: stopped/);
});
