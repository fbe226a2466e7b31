/**
 * docs/backup.md runs as written: each js block on its own (against the sources, through
 * tsx), printing what its comments promise; the shell block with `sectorcrypt` bound to
 * the CLI sources.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..', '..');
const doc = readFileSync(path.join(root, 'docs', 'backup.md'), 'utf8');
const jsBlocks = [...doc.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
const shBlocks = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
const entry = path.join(root, 'src', 'index.ts');
const tsx = pathToFileURL(createRequire(path.join(root, 'package.json')).resolve('tsx')).href;
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
    const out = execFileSync(process.execPath, ['--import', tsx, '--input-type=module', '-e', source], { cwd: work, encoding: 'utf8' });
    expect(out.trim().split('\n')).toEqual(promised(String(code)));
  });

  it('the shell example round-trips through the CLI', () => {
    const cliFn = `sectorcrypt() { ${JSON.stringify(process.execPath)} --import ${JSON.stringify(tsx)} ${JSON.stringify(path.join(root, 'src/cli/main.ts'))} "$@"; }`;
    const setup = 'set -euo pipefail; mkdir -p etc; head -c 200000 /dev/urandom > etc/blob; echo hello > etc/hosts';
    execFileSync('bash', ['-c', `${cliFn}\n${setup}\n${shBlocks[0]}\ntar -c etc | cmp - etc.tar`], { cwd: work, stdio: 'pipe' });
    expect(readFileSync(path.join(work, 'backup.key')).length).toBe(16);
  });
});
