/**
 * The worker thread that owns the embedded PGlite (store/pglite.ts is the broker's side).
 * PostgreSQL compiled to WebAssembly runs synchronously on whatever thread calls it: in the
 * broker's own thread it took half of each release's CPU time away from HTTPS, signatures and
 * HPKE. Here it runs beside them, on another core.
 *
 * Messages in: open, query, begin, tx-query, end (commit or roll back), close; each answered
 * by one message with the same id: { id, rows } or { id, error }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, type PGliteOptions, type Transaction } from '@electric-sql/pglite';

export type Request =
  | { id: number; op: 'query'; text: string; params?: unknown[] }
  | { id: number; op: 'begin'; tx: number }
  | { id: number; op: 'tx-query'; tx: number; text: string; params?: unknown[] }
  | { id: number; op: 'end'; tx: number; commit: boolean }
  | { id: number; op: 'close' };

export type Answer = { id: number; rows: unknown[] } | { id: number; error: ThreadError };

/** An error as it crosses to the broker's thread: PostgreSQL's fields (code, detail, ...) kept. */
export interface ThreadError {
  message: string;
  fields: Record<string, unknown>;
}

const port = parentPort!;

function errorOf(err: unknown): ThreadError {
  const e = err as Record<string, unknown>;
  const fields: Record<string, unknown> = {};
  for (const k of ['code', 'severity', 'detail', 'hint', 'schema', 'table', 'column', 'constraint', 'routine']) {
    if (typeof e?.[k] === 'string') fields[k] = e[k];
  }
  // Emscripten's file system errors carry only an errno.
  const message =
    (err instanceof Error && err.message) || (typeof e?.errno === 'number' ? `file system error (errno ${e.errno})` : String(err));
  return { message, fields };
}

// The modules compiled once by the broker's thread (store/pglite.ts), as PGlite's options take them.
type Compiled = Pick<PGliteOptions, 'pgliteWasmModule' | 'initdbWasmModule'>;
const { dataDir, ...compiled } = workerData as { dataDir?: string } & Compiled;
const opened = await PGlite.create(dataDir ?? 'memory://', compiled).catch((err: unknown) => {
  // The answer to "ready"; the thread then ends, with nothing listening.
  port.postMessage({ id: 0, error: errorOf(err) } satisfies Answer);
  return undefined;
});
const db = opened!;

async function run(on: PGlite | Transaction, text: string, params?: unknown[]): Promise<unknown[]> {
  // Parameterless multi-statement text (migrations) goes through exec.
  if (!params) return (await on.exec(text)).at(-1)?.rows ?? [];
  return (await on.query(text, params)).rows;
}

interface OpenTx {
  tx: Transaction;
  finish: (commit: boolean) => void;
}
const open = new Map<number, OpenTx>();
// Thrown inside PGlite's transaction callback to roll it back.
const ROLLBACK = Symbol('rollback');

function answer(id: number, work: Promise<unknown[]>): void {
  work.then(
    (rows) => port.postMessage({ id, rows } satisfies Answer),
    (err) => port.postMessage({ id, error: errorOf(err) } satisfies Answer),
  );
}

function begin(id: number, txId: number): void {
  let started = false;
  db.transaction(
    (tx) =>
      new Promise<void>((resolve, reject) => {
        started = true;
        open.set(txId, { tx, finish: (commit) => (commit ? resolve() : reject(ROLLBACK)) });
        port.postMessage({ id, rows: [] } satisfies Answer);
      }),
  ).then(
    () => settle(txId, undefined),
    (err) => settle(txId, err === ROLLBACK ? undefined : err, started ? undefined : id),
  );
}

// The answer to `end` goes out once PGlite has committed or rolled back.
const ending = new Map<number, number>();
function settle(txId: number, err: unknown, beginId?: number): void {
  open.delete(txId);
  if (beginId !== undefined) return port.postMessage({ id: beginId, error: errorOf(err) } satisfies Answer);
  const id = ending.get(txId);
  ending.delete(txId);
  if (id === undefined) return;
  port.postMessage(err === undefined ? ({ id, rows: [] } satisfies Answer) : ({ id, error: errorOf(err) } satisfies Answer));
}

if (opened)
  port.on('message', (m: Request) => {
    switch (m.op) {
      case 'query':
        return answer(m.id, run(db, m.text, m.params));
      case 'begin':
        return begin(m.id, m.tx);
      case 'tx-query': {
        const t = open.get(m.tx);
        if (!t) return port.postMessage({ id: m.id, error: { message: 'no such transaction', fields: {} } } satisfies Answer);
        return answer(m.id, run(t.tx, m.text, m.params));
      }
      case 'end': {
        const t = open.get(m.tx);
        if (!t) return port.postMessage({ id: m.id, error: { message: 'no such transaction', fields: {} } } satisfies Answer);
        ending.set(m.tx, m.id);
        return t.finish(m.commit);
      }
      case 'close':
        return answer(
          m.id,
          db.close().then(() => []),
        );
    }
  });
if (opened) port.postMessage({ id: 0, rows: [] } satisfies Answer);
