/**
 * A destroyed key leaves no trace in the database's files (docs/broker.md "Keys"): its sealed
 * secret keys open with root.key, so an attacker holding root.key and a copy of the data
 * folder (or the PostgreSQL server's) must not find them in a table's file or in the WAL.
 * The test reads the sealed bytes from the table, checks the search finds them there, has two
 * admins destroy the key, then searches every file again.
 */
import { describe, expect, it } from 'vitest';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTenant, operatorAdmin, type Harness } from '../helpers.js';

export interface EraseBackend {
  /** A broker on a database of its own, kept in files (not pglite:memory). */
  start(): Promise<Harness>;
  /** The folder that holds every file of that database (PGlite's DATA/db, PostgreSQL's PGDATA). */
  files(h: Harness): string;
  /** SELECT sealed_secret FROM key_versions for the key, by version (PGlite: the broker stops and opens again around it). */
  sealedSecrets(h: Harness, keyId: string): Promise<(Uint8Array | null)[]>;
  /** Everything the server holds in memory written to its files (PostgreSQL: a CHECKPOINT). */
  flush(h: Harness): Promise<void>;
}

/** Every file under `root` holding one of `needles`, with the needle's index. */
export async function filesHolding(root: string, needles: Uint8Array[]): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch {
      continue; // removed while we looked (a WAL segment, a temporary file)
    }
    needles.forEach((n, i) => {
      if (bytes.includes(Buffer.from(n.buffer, n.byteOffset, n.byteLength))) found.push(`${path} (#${i})`);
    });
  }
  return found;
}

export function keyEraseSuite(backend: EraseBackend): void {
  describe('key erasure', () => {
    it('a confirmed destroy leaves the sealed secret keys in no file of the database, WAL included', async () => {
      const h = await backend.start();
      try {
        const t = await makeTenant(h);
        const second = await operatorAdmin(h, t.tenantId, 'erin');
        const doomed = (await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'doomed' } })).body.keyId as string;
        expect((await h.client.call('POST', `/v1/keys/${doomed}/rotate`, { token: t.admin })).status).toBe(200);
        const kept = (await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'kept' } })).body.keyId as string;

        const sealed = (await backend.sealedSecrets(h, doomed)) as Uint8Array[];
        expect(sealed.length).toBe(2);
        for (const s of sealed) expect(s?.length).toBe(77); // root key id (17: version byte + 16), nonce, sealed 32-byte key, tag
        const keptSealed = await backend.sealedSecrets(h, kept);
        // The search works: before the destroy, the files hold every sealed key.
        await backend.flush(h);
        const before = await filesHolding(backend.files(h), sealed);
        expect(before.filter((f) => f.endsWith('(#0)')).length).toBeGreaterThan(0);
        expect(before.filter((f) => f.endsWith('(#1)')).length).toBeGreaterThan(0);

        const ask = await h.client.call('POST', `/v1/keys/${doomed}/destroy`, { token: t.admin });
        expect(ask.status).toBe(202);
        const ok = await h.client.call('POST', `/v1/actions/${ask.body.actionId}/confirm`, { token: second });
        expect(ok.status, JSON.stringify(ok.body)).toBe(200);
        expect(ok.body.status).toBe('done');

        // As soon as the confirmation is answered.
        await backend.flush(h);
        expect(await filesHolding(backend.files(h), sealed)).toEqual([]);
        // The rows say so too; the other key's secrets are untouched and still open.
        expect(await backend.sealedSecrets(h, doomed)).toEqual([null, null]);
        expect(await backend.sealedSecrets(h, kept)).toEqual(keptSealed);
        expect((await h.client.call('POST', `/v1/keys/${kept}/rotate`, { token: t.admin })).status).toBe(200);
        // And after the store was closed and opened again (PGlite) or checkpointed once more.
        await backend.flush(h);
        expect(await filesHolding(backend.files(h), sealed)).toEqual([]);
      } finally {
        await h.stop();
      }
    }, 120_000);
  });
}
