/** Bearer and enrollment tokens: 256 random bits, shown once, stored as SHA-256 only. */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

export function newToken(prefix: 'sct' | 'sce' | 'scs' | 'sci'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Ids are random UUIDs with a readable kind prefix. */
export function newId(kind: 'tn' | 'usr' | 'tok' | 'key' | 'enr' | 'dev' | 'req' | 'act' | 'inv' | 'chl' | 'ocs' | 'xks' | 'xkc'): string {
  return `${kind}_${randomUUID()}`;
}

export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
