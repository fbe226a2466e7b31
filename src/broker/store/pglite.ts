/**
 * PGlite back end: PostgreSQL compiled to WebAssembly, run in a worker thread of this
 * process (pglite-thread.ts) so that its CPU time is not taken from the broker's event loop.
 * One connection, so transactions run one at a time (PGlite queues them); nothing else can
 * open the folder.
 *
 * The thread keeps the process alive only while a call is waiting on it: an idle broker (or
 * a CLI command between calls) exits as it would without it.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { holdPrivateUmask, tightenModes } from '../data-dir/file-modes.js';
import { SectorCryptError } from '../../errors.js';
import type { Row, Sql, Store } from './types.js';
import type { Answer, Request, ThreadError } from './pglite-thread.js';

type Call = { [K in Request['op']]: Omit<Extract<Request, { op: K }>, 'id'> }[Request['op']];

/**
 * The thread: the compiled JavaScript beside this file; or, when this file runs as
 * TypeScript (tests, tsx), the TypeScript source through tsx's loader, registered in the
 * thread itself (Node 20 does not hand a worker the loaders of its parent).
 */
function startThread(workerData: unknown): Worker {
  // The process's node options, less one the thread would refuse (`node --input-type=module -e`).
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./pglite-thread.js', import.meta.url), { workerData, execArgv });
  const source = new URL('./pglite-thread.ts', import.meta.url).href;
  // tsx's ESM API by URL, from its package's exports map: the thread's working folder may be
  // outside this package, and require.resolve would give the CommonJS build.
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const exported = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports[
    './esm/api'
  ]!;
  const tsx = new URL(exported.import.default, pathToFileURL(manifest)).href;
  const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(source)}); })`;
  return new Worker(boot, { eval: true, workerData, execArgv });
}

function rebuild(e: ThreadError): Error {
  return Object.assign(new Error(e.message), e.fields);
}

/**
 * PGlite's two WebAssembly modules (the server, and initdb for a new folder), compiled once
 * per process and shared with every thread: a thread would otherwise compile them again
 * (about a second here) each time a store opens.
 */
/** A compiled WebAssembly.Module, opaque here: this project's libraries (ES2022, no DOM) have no WebAssembly types. */
export type WasmModule = object;
type Modules = { pgliteWasmModule: WasmModule; initdbWasmModule: WasmModule };
const wasm = (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<WasmModule> } }).WebAssembly;
let compiled: Promise<Modules> | undefined;
function compiledModules(): Promise<Modules> {
  compiled ??= (async () => {
    const require = createRequire(import.meta.url);
    const load = (name: string) => wasm.compile(readFileSync(require.resolve(`@electric-sql/pglite/${name}`)));
    const [pgliteWasmModule, initdbWasmModule] = await Promise.all([load('pglite.wasm'), load('initdb.wasm')]);
    return { pgliteWasmModule, initdbWasmModule };
  })();
  return compiled;
}

class PgliteThread {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, { resolve: (rows: unknown[]) => void; reject: (err: unknown) => void }>();
  #nextId = 1;
  #failed: Error | undefined;
  /** Settles with the thread's first message: PGlite has opened its folder, or could not. */
  readonly ready: Promise<void>;

  constructor(dataDir: string | undefined, modules: Modules) {
    this.#worker = startThread({ dataDir, ...modules });
    this.ready = new Promise((resolve, reject) => this.#waiting.set(0, { resolve: () => resolve(), reject }));
    this.#worker.on('message', (a: Answer) => {
      const w = this.#waiting.get(a.id);
      if (!w) return;
      this.#waiting.delete(a.id);
      this.#idle();
      if ('error' in a) w.reject(rebuild(a.error));
      else w.resolve(a.rows);
    });
    // A thread that dies (a WebAssembly abort, an exception while opening) fails every call
    // waiting on it and every later one: the broker fails closed.
    const die = (err: unknown) => {
      // A plain Error: the broker answers it as ERR_INTERNAL, without its message.
      this.#failed ??= new Error(`the embedded database stopped: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      for (const w of this.#waiting.values()) w.reject(this.#failed);
      this.#waiting.clear();
      this.#idle();
    };
    this.#worker.on('error', die);
    this.#worker.on('exit', (code) => die(new Error(`its thread exited with code ${code}`)));
  }

  call(message: Call): Promise<unknown[]> {
    if (this.#failed) return Promise.reject(this.#failed);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#worker.ref();
      this.#worker.postMessage({ ...message, id } as Request);
    });
  }

  #idle(): void {
    if (this.#waiting.size === 0) this.#worker.unref();
  }

  async close(): Promise<void> {
    try {
      if (!this.#failed) await this.call({ op: 'close' });
    } finally {
      this.#worker.removeAllListeners('exit');
      await this.#worker.terminate();
    }
  }
}

/**
 * Its files are the broker's alone (data-dir/file-modes.ts): the folder is made private before PGlite
 * starts and again when it closes, and while it runs the process's umask is 0077, so the WAL
 * segments and table files it makes meanwhile get no group or other bits either.
 */
async function privateFolder(dataDir: string | undefined): Promise<() => Promise<void>> {
  if (dataDir === undefined) return async () => {};
  const release = holdPrivateUmask();
  // A folder that is not there yet PGlite makes under the umask; what is not a folder, PGlite refuses.
  const tighten = async () => {
    const st = await stat(dataDir).catch(() => undefined);
    if (st?.isDirectory()) await tightenModes(dataDir);
  };
  try {
    await tighten();
  } catch (err) {
    release();
    throw err;
  }
  return async () => {
    try {
      await tighten();
    } finally {
      release();
    }
  };
}

export async function openPglite(dataDir: string | undefined): Promise<Store> {
  let thread: PgliteThread | undefined;
  let closed: (() => Promise<void>) | undefined;
  try {
    closed = await privateFolder(dataDir);
    thread = new PgliteThread(dataDir, await compiledModules());
    await thread.ready;
  } catch (err) {
    await thread?.close().catch(() => {});
    await closed?.().catch(() => {});
    const where = dataDir === undefined ? 'in memory' : `in ${dataDir}`;
    throw new SectorCryptError('ERR_IO', `cannot open the embedded database ${where}: ${(err as Error).message}`, { cause: err });
  }
  try {
    // WAL segments a checkpoint no longer needs are deleted, not renamed for reuse with their
    // old bytes: a destroyed key's rows leave pg_wal (keys/erase.ts). The broker is PGlite's
    // only session, so a session setting holds for every checkpoint.
    await thread.call({ op: 'query', text: 'SET wal_recycle = off' });
  } catch (err) {
    await thread.close().catch(() => {});
    await closed().catch(() => {});
    throw new SectorCryptError('ERR_IO', `cannot set up the embedded database: ${(err as Error).message}`, { cause: err });
  }
  let nextTx = 1;
  return {
    kind: 'pglite',
    query: async <T = Row>(text: string, params?: unknown[]) => (await thread.call({ op: 'query', text, params })) as T[],
    async tx(fn) {
      const tx = nextTx++;
      await thread.call({ op: 'begin', tx });
      const q: Sql = {
        query: async <T = Row>(text: string, params?: unknown[]) => (await thread.call({ op: 'tx-query', tx, text, params })) as T[],
      };
      let result;
      try {
        result = await fn(q);
      } catch (err) {
        await thread.call({ op: 'end', tx, commit: false }).catch(() => {});
        throw err;
      }
      await thread.call({ op: 'end', tx, commit: true });
      return result;
    },
    async close() {
      try {
        await thread.close();
      } finally {
        await closed();
      }
    },
  };
}
