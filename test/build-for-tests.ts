/**
 * The sources compiled to JavaScript once per test run, for the tests that start the CLI or
 * an example in a child process: `node built/cli/main.js` costs about a third of the CPU time
 * of `node --import tsx src/cli/main.ts`, and the suite starts hundreds of them.
 *
 * Each run builds from the current src/ (never dist/, which may be stale or rebuilt by
 * someone else meanwhile) into a folder of its own, `.test-build-<pid>/` at the package root:
 * at the same depth as dist/ and laid out like it, one .js file per .ts file, so that what the
 * code finds relative to itself (package.json, the addon in build/, node_modules) is what
 * dist/ finds. The transform is esbuild's, resolved through tsx: the very transform tsx
 * applies when it loads a file, without tsx's start-up cost in every process. Nothing is
 * type-checked here (tsc and `npm run prepare` do that).
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PREFIX = '.test-build-';

/** Whether the process that made a build folder is still running. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes build folders left by runs that ended without cleaning up (killed, crashed). */
function removeStale(): void {
  for (const name of readdirSync(root)) {
    if (!name.startsWith(PREFIX)) continue;
    const pid = Number(name.slice(PREFIX.length));
    if (Number.isInteger(pid) && pid !== process.pid && !alive(pid)) rmSync(path.join(root, name), { recursive: true, force: true });
  }
}

function sources(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) sources(file, out);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(file);
  }
  return out;
}

/** Compiles src/ into a fresh `.test-build-<pid>/`; returns its absolute path. */
export async function buildForTests(): Promise<string> {
  removeStale();
  const outDir = path.join(root, `${PREFIX}${process.pid}`);
  rmSync(outDir, { recursive: true, force: true });
  const fromTsx = createRequire(createRequire(path.join(root, 'package.json')).resolve('tsx'));
  const esbuild = fromTsx('esbuild') as { build(options: Record<string, unknown>): Promise<unknown> };
  await esbuild.build({
    entryPoints: sources(path.join(root, 'src')),
    outbase: path.join(root, 'src'),
    outdir: outDir,
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    tsconfig: path.join(root, 'tsconfig.build.json'),
    logLevel: 'silent',
  });
  return outDir;
}

export function removeBuild(outDir: string): void {
  if (path.dirname(outDir) === root && path.basename(outDir).startsWith(PREFIX) && existsSync(outDir))
    rmSync(outDir, { recursive: true, force: true });
}
