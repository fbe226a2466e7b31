/** What every route handler needs: the store, the root key, the clock. */
import type { Store } from './store/types.js';
import type { VersionKeys } from './keys.js';

export interface BrokerContext {
  db: Store;
  /** 32 bytes; wiped when the broker closes. */
  rootKey: Uint8Array;
  /** Key versions' secret keys, opened on first use. */
  versionKeys: VersionKeys;
  now(): Date;
  /** Audit records younger than this many days stay in the log (default 365). */
  auditRetentionDays: number;
}
