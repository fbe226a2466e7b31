/**
 * integrity.selfHash over copies of a package tree: the same files give the same hash
 * wherever they are installed, any change to a file (or a file added, or an entry missing)
 * changes it, and the manifest is exactly what `sha256sum` prints for those files.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { findPackageRoot, selfHash, selfHashCollector, selfManifest } from '../../../src/agent/claims/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'sectorcrypt-selfhash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A package tree made of this repository's real docs/ and native/ folders and top-level
 * files (dist/ is left out: the CLI test rebuilds it while this file may run).
 */
function copyPackage(name: string): string {
  const at = path.join(dir, name);
  mkdirSync(at);
  const files = ['docs/', 'native/', 'README.md', 'LICENSE', 'binding.gyp'];
  for (const entry of files) cpSync(path.join(root, entry), path.join(at, entry), { recursive: true });
  writeFileSync(path.join(at, 'package.json'), JSON.stringify({ name: 'sectorcrypt', version: '0.1.0', files }, null, 2));
  return at;
}

describe('integrity.selfHash', () => {
  it('is the same for two copies of the same files', async () => {
    const a = copyPackage('a');
    const b = copyPackage('b');
    expect(await selfHash(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(await selfHash(a)).toBe(await selfHash(b));
  });

  it('changes when one byte of a package file changes, or a file is added', async () => {
    const a = copyPackage('c');
    const before = await selfHash(a);
    appendFileSync(path.join(a, 'docs', 'api.md'), ' ');
    const edited = await selfHash(a);
    expect(edited).not.toBe(before);
    writeFileSync(path.join(a, 'native', 'extra.h'), '');
    expect(await selfHash(a)).not.toBe(edited);
  });

  it('lists each file as sha256sum does, sorted by path, and hashes that text', async () => {
    const a = copyPackage('d');
    const manifest = await selfManifest(a);
    const paths = manifest.map((line) => line.slice(66, -1));
    expect(paths).toEqual([...paths].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
    expect(paths).toContain('package.json');
    expect(paths).toContain('docs/api.md');
    const sum = spawnSync('sha256sum', ['--', ...paths], { cwd: a, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(sum.status).toBe(0);
    expect(manifest.join('')).toBe(sum.stdout);
    const whole = spawnSync('sha256sum', { input: sum.stdout, encoding: 'utf8' });
    expect(await selfHash(a)).toBe(whole.stdout.split(' ')[0]);
  });

  it('records missing "files" entries and symbolic links rather than skipping them', async () => {
    const a = path.join(dir, 'e');
    mkdirSync(path.join(a, 'lib'), { recursive: true });
    writeFileSync(path.join(a, 'lib', 'x.js'), 'x');
    symlinkSync('x.js', path.join(a, 'lib', 'y.js'));
    writeFileSync(path.join(a, 'package.json'), JSON.stringify({ name: 'sectorcrypt', files: ['lib/', 'prebuilds/'] }));
    const manifest = await selfManifest(a);
    expect(manifest).toContain('missing  prebuilds\n');
    expect(manifest.find((l) => l.endsWith('  lib/y.js\n'))).toMatch(/^symlink:[0-9a-f]{64}  lib\/y\.js\n$/);
    expect(manifest).toHaveLength(4);
  });

  it('finds the package root above the collector, and reports a tree it cannot read', async () => {
    expect(findPackageRoot()).toBe(root);
    expect(JSON.parse(readFileSync(path.join(findPackageRoot()!, 'package.json'), 'utf8')).name).toBe('sectorcrypt');
    const a = copyPackage('f');
    expect(await selfHashCollector(a).collect()).toEqual({ claims: { 'integrity.selfHash': await selfHash(a) }, detail: a });
    expect(await selfHashCollector(path.join(dir, 'absent')).collect()).toHaveProperty('unavailable');
  });
});
