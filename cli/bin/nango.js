#!/usr/bin/env node
// `nango`: the CLI compiled to dist/ by `npm install` (the prepare script) or `npm run build`.
import { existsSync } from 'node:fs';

const compiled = new URL('../../dist/cli/index.js', import.meta.url);
if (!existsSync(compiled)) {
  console.error('❌ The CLI is not built yet: run `npm install` (or `npm run build`) in the nango checkout.');
  process.exit(1);
}
await import(compiled.href);
