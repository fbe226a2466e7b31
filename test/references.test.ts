/**
 * Every file-and-section reference in src/, docs/ and the top-level guides resolves: a cited
 * docs/*.md (or README.md, CONTRIBUTING.md) exists, a quoted section after it is one of its
 * headings, and nothing cites the design files that never were part of the repository.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

function files(dir: string): string[] {
  return readdirSync(path.join(root, dir)).flatMap((name) => {
    const rel = path.join(dir, name);
    return statSync(path.join(root, rel)).isDirectory() ? files(rel) : /\.(ts|md|cc|h|c|sh|mjs)$/.test(name) ? [rel] : [];
  });
}

const sources = [...files('src'), ...files('docs'), ...files('native'), 'README.md', 'CONTRIBUTING.md'];
const headings = new Map<string, Set<string>>();
function headingsOf(doc: string): Set<string> {
  let h = headings.get(doc);
  if (!h) {
    h = new Set([...readFileSync(path.join(root, doc), 'utf8').matchAll(/^#+ (.+)$/gm)].map((m) => m[1]!.trim()));
    headings.set(doc, h);
  }
  return h;
}

describe('references', () => {
  it('cite no file outside the repository', () => {
    const outside = sources.filter((f) =>
      /CUSTODY\.md|DESIGN\.md|specs\/[a-z-]+\.md|\.\.\/shared/.test(readFileSync(path.join(root, f), 'utf8')),
    );
    expect(outside).toEqual([]);
  });

  it('name files and sections that exist', () => {
    const broken: string[] = [];
    for (const f of sources) {
      const text = readFileSync(path.join(root, f), 'utf8');
      for (const m of text.matchAll(/\b((?:docs\/)?[a-z]+\.md|README\.md|CONTRIBUTING\.md)(?:'s)?(?:,? "([^"\n]+)")?/g)) {
        let doc = m[1]!;
        if (!doc.includes('/') && !/^(README|CONTRIBUTING)\.md$/.test(doc))
          doc = path.join(path.dirname(f).startsWith('docs') ? 'docs' : 'docs', doc);
        if (!existsSync(path.join(root, doc))) {
          broken.push(`${f}: ${m[0]}`);
          continue;
        }
        if (m[2] && !headingsOf(doc).has(m[2])) broken.push(`${f}: ${m[0]} (no such section)`);
      }
    }
    expect(broken).toEqual([]);
  });
});
