/**
 * docs/volumes.md runs as written, with the library's default KDF costs: the js block
 * against the sources (the run's build, or tsx; test/entry.ts), printing what its comments promise; the shell block with
 * `sectorcrypt` bound to the CLI sources.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { scratchDir } from './helpers.js';
import { CHILD_IMPORT, CLI, sourceFile } from '../entry.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const doc = readFileSync(path.join(root, 'docs', 'volumes.md'), 'utf8');
const jsBlocks = [...doc.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
const shBlocks = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
const tmp = scratchDir();
afterAll(() => tmp.cleanup());

describe('docs/volumes.md', () => {
  it('has one js example and one shell example', () => {
    expect(jsBlocks).toHaveLength(1);
    expect(shBlocks).toHaveLength(1);
  });

  it('the js example prints what its comments promise', () => {
    const code = jsBlocks[0];
    const promised = [...code.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1].trim());
    const source = code.replace(/from 'sectorcrypt'/g, `from ${JSON.stringify(sourceFile('index'))}`);
    const out = execFileSync(process.execPath, [...CHILD_IMPORT, '--input-type=module', '-e', source], { cwd: tmp.dir, encoding: 'utf8' });
    expect(out.trim().split('\n')).toEqual(promised);
  });

  it('the shell example runs through the CLI', () => {
    const cli = `sectorcrypt() { ${[process.execPath, ...CLI].map((a) => JSON.stringify(a)).join(' ')} "$@"; }`;
    const out = execFileSync('bash', ['-c', `set -euo pipefail\n${cli}\n${shBlocks[0]}`], { cwd: tmp.dir, encoding: 'utf8' });
    expect(out).toMatch(/ok: key slot 1 opens disk\.img/);
    expect(out).toMatch(/key slots:\s+0 \(argon2id\), 1 \(argon2id\)/);
  }, 120_000);
});
