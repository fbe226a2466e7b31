/** identity.os.id and identity.os.versionId: the distribution, from os-release(5). */
import { readFile } from 'node:fs/promises';
import { reasonOf, type Collector } from './types.js';

/** KEY=value lines of an os-release file; values may be quoted with ' or " (os-release(5)). */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    let value = match[2]!;
    const quoted = /^"(.*)"$/.exec(value) ?? /^'(.*)'$/.exec(value);
    if (quoted) value = quoted[1]!.replace(/\\(["'$`\\])/g, '$1');
    out[match[1]!] = value;
  }
  return out;
}

export function osReleaseCollector(paths = ['/etc/os-release', '/usr/lib/os-release']): Collector {
  return {
    name: 'os',
    sources: [
      { claim: 'identity.os.id', source: `${paths[0]} ID`, trust: 'agent' },
      { claim: 'identity.os.versionId', source: `${paths[0]} VERSION_ID`, trust: 'agent' },
    ],
    async collect() {
      const errors: string[] = [];
      for (const path of paths) {
        let text: string;
        try {
          text = await readFile(path, 'utf8');
        } catch (err) {
          errors.push(`${path}: ${reasonOf(err)}`);
          continue; // os-release(5): fall back to /usr/lib/os-release
        }
        const fields = parseOsRelease(text);
        if (!fields.ID) return { unavailable: `${path} has no ID` };
        const claims: Record<string, unknown> = { 'identity.os.id': fields.ID };
        // VERSION_ID is optional (rolling releases have none).
        if (fields.VERSION_ID !== undefined) claims['identity.os.versionId'] = fields.VERSION_ID;
        // Say which file answered only when it was the fallback.
        return path === paths[0] ? { claims } : { claims, detail: path };
      }
      return { unavailable: `no os-release file: ${errors.join('; ')}` };
    },
  };
}
