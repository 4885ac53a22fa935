#!/usr/bin/env node
// The teeos command: the bundled host CLI (built by `npm install` / `npm run build`).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/teeos.mjs', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('teeos: not built yet; run `npm install` (or `npm run build`) in the repository first\n');
  process.exit(70);
}
await import(cli.href);
