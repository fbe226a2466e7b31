/**
 * How tests start the CLI, or import the library, in a child process: from the build that
 * test/global-setup.ts made of the current sources for this run (SECTORCRYPT_TEST_BUILD), or,
 * without one (SECTORCRYPT_TEST_TSX=1, or a runner without the global setup), from the
 * TypeScript sources through tsx. Paths are absolute, so a child may run in any folder.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = process.env.SECTORCRYPT_TEST_BUILD || undefined;
// By URL: a bare 'tsx' would not resolve in a child whose folder is outside the package.
const tsx = pathToFileURL(createRequire(path.join(root, 'package.json')).resolve('tsx')).href;

/** Node options a child needs before importing a file from sourceFile() (tsx, or none for the build). */
export const CHILD_IMPORT: readonly string[] = built ? [] : ['--import', tsx];

/** The file of module `name` of src/ (as 'cli/main', 'index', 'keys/kdf') that a child imports. */
export function sourceFile(name: string): string {
  return built ? path.join(built, `${name}.js`) : path.join(root, 'src', `${name}.ts`);
}

/** The node arguments that start the CLI: `spawn(process.execPath, [...CLI, 'encrypt', ...])`. */
export const CLI: readonly string[] = [...CHILD_IMPORT, sourceFile('cli/main')];
