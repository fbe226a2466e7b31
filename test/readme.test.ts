/** The examples in README.md run as written (against the sources: the run's build, or tsx; test/entry.ts). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHILD_IMPORT, sourceFile } from './entry.js';

const root = path.resolve(__dirname, '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
const entry = sourceFile('index');

describe('README.md examples', () => {
  it('has examples', () => {
    expect(blocks.length).toBeGreaterThan(0);
  });

  it.each(blocks.map((code, i) => [i + 1, code]))('example %i runs', (_n, code) => {
    const source = String(code).replace(/from 'sectorcrypt'/g, `from ${JSON.stringify(entry)}`);
    // Throws (and fails the test) if the example throws or exits non-zero.
    execFileSync(process.execPath, [...CHILD_IMPORT, '--input-type=module', '-e', source], { cwd: root, stdio: 'pipe' });
  });
});
