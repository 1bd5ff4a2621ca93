#!/usr/bin/env node
// Launcher: QuadStream needs Node 24 (TypeScript type stripping, node-av). When started by an older
// Node, re-run the CLI with the Node that `npm install` put in node_modules.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const major = Number(process.versions.node.split('.')[0]);
const main = join(root, 'src', 'cli', 'main.ts');
if (major >= 24) {
  await import(pathToFileURL(main).href);
} else {
  const local = join(root, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(local)) {
    process.stderr.write(
      `quadstream: needs Node 24 or newer (this is ${process.version}); run \`npm install\` first\n`,
    );
    process.exit(2);
  }
  const r = spawnSync(local, [main, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
