/**
 * `import 'sectorcrypt'` and `sectorcrypt/agent` must not load the server or its
 * dependencies (CONTRIBUTING.md "The layers"): walk their static and dynamic imports.
 * And the shape of src/ itself: no import circle, and no module but a route file or the
 * HTTP app's assembly imports a broker route file (the core never depends on its routes).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';

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
    for (const m of text.matchAll(
      /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g,
    )) {
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
    expect([...files].some((f) => f.includes('/src/broker/http/app.ts'))).toBe(true);
    expect(packages.has('fastify')).toBe(true);
  });
});

/** Every .ts file under dir, relative to the working directory. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** file -> the files it imports (static, dynamic, type-only: any of them makes a circle). */
function importEdges(files: string[]): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const f of files) {
    const out: string[] = [];
    for (const m of readFileSync(f, 'utf8').matchAll(
      /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g,
    )) {
      const spec = (m[1] ?? m[2] ?? m[3])!;
      if (spec.startsWith('.')) out.push(relative(process.cwd(), resolve(dirname(f), spec.replace(/\.js$/, '.ts'))));
    }
    edges.set(f, out);
  }
  return edges;
}

/** The import circles: strongly connected components of more than one file, or a file importing itself (Tarjan). */
function circles(edges: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (edges.get(v) ?? []).includes(v)) found.push(component.sort());
  };
  for (const f of edges.keys()) if (!index.has(f)) visit(f);
  return found;
}

/** A broker route file: routes.ts, routes-*.ts (the handlers of one feature, or the route table), or any file in a routes/ folder. */
const isRoutes = (f: string) => f.startsWith('src/broker/') && (/^routes(-[a-z-]+)?\.ts$/.test(basename(f)) || f.includes('/routes/'));
/** The one non-route module that may import route files: the HTTP app, which mounts the route table. */
const MOUNTS_ROUTES = 'src/broker/http/app.ts';

describe('the shape of src/', () => {
  const edges = importEdges(sourceFiles('src'));

  it('has no import circle', () => {
    const found = circles(edges).map((c) => c.join(' '));
    expect(found).toEqual([]);
  });

  it('the circle check finds a circle when there is one (the check can fail)', () => {
    const made = new Map(edges);
    made.set('src/broker/context.ts', [...(made.get('src/broker/context.ts') ?? []), 'src/broker/broker.ts']);
    expect(circles(made).some((c) => c.includes('src/broker/broker.ts') && c.includes('src/broker/context.ts'))).toBe(true);
  });

  it('imports a broker route file only from route files and the HTTP app', () => {
    const bad = [...edges].flatMap(([f, to]) => (isRoutes(f) || f === MOUNTS_ROUTES ? [] : to.filter(isRoutes).map((t) => `${f} -> ${t}`)));
    expect(bad).toEqual([]);
    // The check can fail: the HTTP app does import route files.
    expect((edges.get(MOUNTS_ROUTES) ?? []).some(isRoutes)).toBe(true);
  });
});

describe('src/protocol', () => {
  const files = sourceFiles('src/protocol');

  it('is browser-safe: types and constants only, no Node API, nothing outside it but json-schema-to-ts types', () => {
    const bad: string[] = [];
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/(?:^|\n)\s*(import|export)(\s+type)?\b[^'"]*?from\s*['"]([^'"]+)['"]/g)) {
        const [, , typeOnly, spec] = m;
        if (spec!.startsWith('./')) continue;
        if (spec === 'json-schema-to-ts' && typeOnly) continue;
        bad.push(`${f}: ${spec}`);
      }
      if (/\b(Buffer|process|require)\b/.test(text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''))) bad.push(`${f}: a Node global`);
    }
    expect(bad).toEqual([]);
    expect(files.length).toBeGreaterThan(0);
  });

  it('is where both ends take the wire constants from', () => {
    // The strings are written once, in src/protocol: nowhere else in src/ spells them.
    const spelled = sourceFiles('src')
      .filter((f) => !f.startsWith('src/protocol/'))
      .filter((f) =>
        /'sectorcrypt-broker\/v1 release'|'sectorcrypt-(envelope|luks2)\/v1 broker'|BODY_LIMIT = /.test(readFileSync(f, 'utf8')),
      );
    expect(spelled).toEqual([]);
  });
});
