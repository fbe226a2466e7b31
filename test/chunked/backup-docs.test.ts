/**
 * docs/backup.md runs as written: each js block on its own (against the sources: the run's
 * build, or tsx; test/entry.ts), printing what its comments promise; the shell block with `sectorcrypt` bound to
 * the CLI sources.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHILD_IMPORT, CLI, sourceFile } from '../entry.js';

const root = path.resolve(__dirname, '..', '..');
const doc = readFileSync(path.join(root, 'docs', 'backup.md'), 'utf8');
const jsBlocks = [...doc.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
const shBlocks = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
const entry = sourceFile('index');
const work = mkdtempSync(path.join(tmpdir(), 'sectorcrypt-docs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** What the `// …` comment on each console.log line says it prints. */
function promised(code: string): string[] {
  return [...code.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1].trim());
}

describe('docs/backup.md', () => {
  it('has three js examples and a shell one', () => {
    expect(jsBlocks).toHaveLength(3);
    expect(shBlocks).toHaveLength(1);
  });

  it.each(jsBlocks.map((code, i) => [i + 1, code]))('js example %i prints what it promises', (_n, code) => {
    const source = String(code).replace(/from 'sectorcrypt'/g, `from ${JSON.stringify(entry)}`);
    const out = execFileSync(process.execPath, [...CHILD_IMPORT, '--input-type=module', '-e', source], { cwd: work, encoding: 'utf8' });
    expect(out.trim().split('\n')).toEqual(promised(String(code)));
  });

  it('the shell example round-trips through the CLI', () => {
    const cliFn = `sectorcrypt() { ${[process.execPath, ...CLI].map((a) => JSON.stringify(a)).join(' ')} "$@"; }`;
    const setup = 'set -euo pipefail; mkdir -p etc; head -c 200000 /dev/urandom > etc/blob; echo hello > etc/hosts';
    execFileSync('bash', ['-c', `${cliFn}\n${setup}\n${shBlocks[0]}\ntar -c etc | cmp - etc.tar`], { cwd: work, stdio: 'pipe' });
    expect(readFileSync(path.join(work, 'backup.key')).length).toBe(16);
  });
});
