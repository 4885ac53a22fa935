// docs/compatibility.md must be what scripts/gen-compat.ts makes from the syscall table now.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { compatibilityMarkdown } from '../scripts/gen-compat.ts';

test('docs/compatibility.md is current (regenerate with: node --import tsx scripts/gen-compat.ts)', () => {
  const doc = readFileSync(new URL('../docs/compatibility.md', import.meta.url), 'utf8');
  assert.equal(doc, compatibilityMarkdown());
});
