/** What every route handler needs: the store, the root key, the clock, and the release path's helpers. */
import type { Store } from './store/types.js';
import type { VersionKeys } from './keys/version-keys.js';
import type { DeviceCache } from './auth/device-cache.js';
import type { ReleaseRecorder } from './release/recorder.js';
import type { ReleaseAdmissions } from './release/admissions.js';
import type { XksLookups } from './xks/lookups.js';
import type { RateLimiter } from './http/rate-limit.js';
import type { CertificateDates } from './data-dir/cert-status.js';

export interface BrokerContext {
  db: Store;
  /** 32 bytes; wiped when the broker closes. */
  rootKey: Uint8Array;
  /** Key versions' secret keys, opened on first use. */
  versionKeys: VersionKeys;
  /** Enrolled devices' fixed fields (auth/agent-signature.ts). */
  devices: DeviceCache;
  /** Release requests' admission and reads, in batches. */
  admissions: ReleaseAdmissions;
  /** Release decisions and XKS calls' records, committed in batches. */
  releases: ReleaseRecorder;
  /** XKS calls' reads, in batches. */
  xksLookups: XksLookups;
  now(): Date;
  /** Audit records younger than this many days stay in the log (default 365). */
  auditRetentionDays: number;
  /** In-memory rate limits (absent: none). */
  limits?: RateLimiter;
  /** When the served certificate and the CA expire (GET /v1/health); updated on a reload. */
  certificates?: CertificateDates;
}
