/**
 * A store whose transactions can leave work for after their commit (Sql.afterCommit): the
 * key erasure's VACUUM (keys/erase.ts), which PostgreSQL refuses inside a transaction. The
 * transaction's promise settles once that work is done, so an answer sent after it tells
 * the truth; work that fails rejects it (the commit stands).
 */
import type { Sql, Store } from './types.js';

export function withAfterCommit(store: Store): Store {
  return {
    kind: store.kind,
    query: (text, params) => store.query(text, params),
    close: () => store.close(),
    tx: async (fn) => {
      let work: (() => Promise<void>)[] = [];
      const result = await store.tx((q) => {
        work = []; // a retried transaction starts over
        const inner: Sql = {
          query: (text, params) => q.query(text, params),
          auditAppended: q.auditAppended && ((tenantId, size) => q.auditAppended!(tenantId, size)),
          afterCommit: (w) => void work.push(w),
        };
        return fn(inner);
      });
      for (const w of work) await w();
      return result;
    },
  };
}
