/**
 * The linux-x64 addon must load on glibc 2.28 / libstdc++ 3.4.25 systems (RHEL 8, Debian 10,
 * Amazon Linux 2023): no versioned symbol above those may appear in its dynamic table.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { describeWithTool } from './tools.js';
import { projectRoot } from './vectors.js';

const addon = path.join(projectRoot, 'build/Release/sectorcrypt.node');
const objdump = (() => {
  try {
    execFileSync('objdump', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const reason = !existsSync(addon)
  ? 'no local addon build'
  : !objdump
    ? 'objdump is not installed (Debian package binutils)'
    : process.env.SECTORCRYPT_SANITIZED
      ? 'the addon is the AddressSanitizer build (scripts/test-asan.sh), which links newer libstdc++ symbols; the release build is checked in the normal run'
      : undefined;

/** Versions as comparable number arrays: "2.28" -> [2, 28]. */
const parse = (v: string) => v.split('.').map(Number);
function above(v: string, limit: string): boolean {
  const a = parse(v);
  const b = parse(limit);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return false;
}

describeWithTool('objdump', reason, 'addon symbol versions', () => {
  it('needs nothing above GLIBC_2.28 and GLIBCXX_3.4.25', () => {
    const table = execFileSync('objdump', ['-T', addon], { encoding: 'utf8' });
    const versions = new Set([...table.matchAll(/\b(GLIBC|GLIBCXX|CXXABI)_([0-9.]+)/g)].map((m) => `${m[1]}_${m[2]}`));
    expect(versions.size).toBeGreaterThan(0);
    const tooNew = [...versions].filter((v) => {
      const [lib, ver] = v.split('_');
      return (
        (lib === 'GLIBC' && above(ver, '2.28')) || (lib === 'GLIBCXX' && above(ver, '3.4.25')) || (lib === 'CXXABI' && above(ver, '1.3.11'))
      );
    });
    expect(tooNew).toEqual([]);
  });
});
