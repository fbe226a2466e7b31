/**
 * `import 'sectorcrypt'` and `sectorcrypt/agent` must not load the server or its
 * dependencies (CONTRIBUTING.md "The layers"): walk their static and dynamic imports.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

const SERVER_PACKAGES = ['fastify', '@fastify/helmet', 'pg', '@electric-sql/pglite', '@peculiar/x509'];

function graph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [resolve(entry)];
  while (todo.length) {
    const file = todo.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)) {
      const spec = (m[1] ?? m[2] ?? m[3])!;
      if (spec.startsWith('.')) todo.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else if (!spec.startsWith('node:')) packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  }
  return { files, packages };
}

describe('import graph', () => {
  for (const entry of ['src/index.ts', 'src/agent/index.ts']) {
    it(`${entry} reaches no server code and no server dependency`, () => {
      const { files, packages } = graph(entry);
      const server = [...files].map((f) => relative(process.cwd(), f)).filter((f) => f.startsWith('src/broker/'));
      expect(server).toEqual([]);
      expect([...packages].filter((p) => SERVER_PACKAGES.includes(p))).toEqual([]);
    });
  }

  it('the walk does find the server from its own entry (the check can fail)', () => {
    const { files, packages } = graph('src/broker/index.ts');
    expect([...files].some((f) => f.includes('/src/broker/app.ts'))).toBe(true);
    expect(packages.has('fastify')).toBe(true);
  });
});
