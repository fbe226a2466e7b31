/**
 * integrity.selfHash: SHA-256 over the installed sectorcrypt package's own files, so that a
 * policy can pin a release.
 *
 * The manifest (documented in docs/claims.md, reproducible with sha256sum):
 *   - the files are package.json plus every entry of its "files" list, directories walked
 *     recursively, as POSIX paths relative to the package root;
 *   - sorted by the bytes of their UTF-8 path;
 *   - one line each, `<sha256 hex of the content>  <path>\n` (the sha256sum format); a
 *     symbolic link is `symlink:<sha256 hex of its target text>  <path>`, an entry of "files"
 *     that does not exist is `missing  <entry>`, so nothing is left out silently;
 *   - selfHash = SHA-256 hex of the manifest text.
 * Not covered: what `npm install` builds on the host (build/, the compiled addon), node_modules.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { reasonOf, type Collector } from './types.js';

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** The package root: the nearest folder above this module whose package.json names sectorcrypt. */
export function findPackageRoot(from = path.dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        // Synchronous read is fine: one small file, once per collection.
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string };
        if (pkg.name === 'sectorcrypt') return dir;
      } catch {
        // not a readable package.json: keep climbing
      }
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

async function walk(root: string, rel: string, out: Map<string, string>): Promise<void> {
  const abs = path.join(root, rel);
  const info = await lstat(abs);
  if (info.isSymbolicLink()) {
    out.set(rel, `symlink:${sha256(await readlink(abs))}`);
  } else if (info.isDirectory()) {
    for (const name of await readdir(abs)) await walk(root, path.posix.join(rel, name), out);
  } else if (info.isFile()) {
    out.set(rel, sha256(await readFile(abs)));
  } else {
    out.set(rel, `special:${info.mode.toString(8)}`);
  }
}

/** The manifest lines of the package at `root`, in their hashed order. */
export async function selfManifest(root: string): Promise<string[]> {
  const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { files?: unknown };
  const entries = Array.isArray(pkg.files) ? pkg.files.filter((f): f is string => typeof f === 'string') : [];
  const hashes = new Map<string, string>();
  for (const entry of ['package.json', ...entries]) {
    const rel = path.posix.normalize(entry).replace(/\/+$/, '');
    if (rel.startsWith('..') || path.posix.isAbsolute(rel)) throw new Error(`"files" entry outside the package: ${entry}`);
    if (!existsSync(path.join(root, rel))) hashes.set(rel, 'missing');
    else await walk(root, rel, hashes);
  }
  const paths = [...hashes.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return paths.map((p) => `${hashes.get(p)}  ${p}\n`);
}

export async function selfHash(root: string): Promise<string> {
  return sha256((await selfManifest(root)).join(''));
}

export function selfHashCollector(packageRoot?: string): Collector {
  return {
    name: 'selfHash',
    sources: [{ claim: 'integrity.selfHash', source: 'SHA-256 manifest of the sectorcrypt package files', trust: 'agent' }],
    async collect() {
      const root = packageRoot ?? findPackageRoot();
      if (!root) return { unavailable: 'no sectorcrypt package.json above the agent code' };
      try {
        return { claims: { 'integrity.selfHash': await selfHash(root) }, detail: root };
      } catch (err) {
        return { unavailable: `cannot hash ${root}: ${reasonOf(err)}` };
      }
    },
  };
}
