import { readFileSync } from 'node:fs';

/** The version in package.json, two levels above src/cli or dist/cli. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
