/**
 * The agent side never loads server code or server dependencies: every import under
 * src/agent/claims and src/agent/attest is node:*, a relative path that stays in src/agent
 * (or src/errors.ts), and nothing from src/broker, fastify, pg or pglite.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src');

function imports(folder: string): { file: string; spec: string }[] {
  const out: { file: string; spec: string }[] = [];
  for (const name of readdirSync(folder, { recursive: true }) as string[]) {
    if (!name.endsWith('.ts')) continue;
    const file = path.join(folder, name);
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) out.push({ file, spec: m[1]! });
  }
  return out;
}

describe('agent import boundaries', () => {
  for (const folder of ['agent/claims', 'agent/attest']) {
    it(`src/${folder} imports only node:*, itself and src/errors.ts`, () => {
      const found = imports(path.join(src, folder));
      expect(found.length).toBeGreaterThan(5);
      const bad = found.filter(({ file, spec }) => {
        if (spec.startsWith('node:')) return false;
        if (!spec.startsWith('.')) return true;
        const target = path.resolve(path.dirname(file), spec);
        return !(target.startsWith(path.join(src, 'agent') + path.sep) || target === path.join(src, 'errors.js'));
      });
      expect(bad).toEqual([]);
    });
  }
});
