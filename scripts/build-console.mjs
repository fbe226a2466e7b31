// Builds the web console (src/console/) into dist/console/: index.html, app.css and one
// bundled, minified app.js for browsers (no network, no CDN at run time). Where a module has
// a `.browser.ts` twin beside it (src/audit/hash.ts, src/keys/ed25519.ts,
// src/broker/policy/net.ts), the twin goes into the bundle: the same code above them, minus
// node:crypto and node:net. The build fails if anything in the bundle still imports node:.
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'console');

const browserTwins = {
  name: 'browser-twins',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\/.*\.js$/ }, (args) => {
      const twin = resolve(args.resolveDir, args.path.replace(/\.js$/, '.browser.ts'));
      return existsSync(twin) ? { path: twin } : undefined;
    });
  },
};

await mkdir(out, { recursive: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/console/main.ts'],
  outfile: join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome120', 'firefox120', 'safari17'],
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [browserTwins],
});
await copyFile(join(root, 'src/console/index.html'), join(out, 'index.html'));
await copyFile(join(root, 'src/console/app.css'), join(out, 'app.css'));

const sizes = ['index.html', 'app.js', 'app.css'].map((f) => {
  const bytes = readFileSync(join(out, f));
  return `${f} ${bytes.length} B (gzip ${gzipSync(bytes, { level: 9 }).length} B)`;
});
if (!process.argv.includes('--quiet')) console.log(`console built in dist/console: ${sizes.join(', ')}`);
