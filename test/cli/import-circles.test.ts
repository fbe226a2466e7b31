/**
 * No two files of the CLI import each other, directly or around a loop: a circle makes load
 * order matter and hides which file owns a piece (issue 23). Static and dynamic imports count.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

/** Each file of `dir` and the files of `dir` it imports. */
function importsIn(dir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const file = resolve(dir, name);
    const targets = [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((m) => resolve(dirname(file), (m[1] ?? m[2])!.replace(/\.js$/, '.ts')));
    graph.set(file, targets.filter((t) => dirname(t) === resolve(dir)));
  }
  return graph;
}

/** Every circle found by a depth-first walk, as the list of files around it. */
function circles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const walk = (file: string, path: string[]): void => {
    state.set(file, 'open');
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') found.push([...path.slice(path.indexOf(next)), file].map((f) => relative(process.cwd(), f)));
      else if (!state.has(next)) walk(next, [...path, file]);
    }
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) walk(file, []);
  return found;
}

describe('src/cli imports', () => {
  it('form no circle', () => {
    expect(circles(importsIn(join(process.cwd(), 'src/cli')))).toEqual([]);
  });

  it('the walk finds a circle where there is one (the check can fail)', () => {
    const a = resolve('a.ts');
    const b = resolve('b.ts');
    expect(circles(new Map([[a, [b]], [b, [a]]]))).toHaveLength(1);
  });
});
