/**
 * pending.json in the agent's state folder (mode 0600): the release requests that wait for
 * approval, each with the secret half of its one-time reply key, so that a restarted agent, a
 * second `volume unlock` or the cryptsetup token plugin asks about the same request instead of
 * filing a new one (approvers see one card per unlock). Entries are keyed by a hash of what is
 * asked (key, version, resource, sealed secret); an entry goes once its request is settled,
 * withdrawn, or past its expiry.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { wipe } from '../bytes.js';

export interface PendingEntry {
  requestId: string;
  /** base64 of the 32-byte X25519 secret key the answer will be sealed to. */
  replySecret: string;
  expiresAt?: string;
}

type Entries = Record<string, PendingEntry>;

const FILE = 'pending.json';

/** What a request asks, as a key: the same sealed secret for the same resource resumes. */
export function pendingKey(what: { keyId: string; version: number; resource: string; enc: string; ciphertext: string }): string {
  return createHash('sha256')
    .update(JSON.stringify([what.keyId, what.version, what.resource, what.enc, what.ciphertext]))
    .digest('hex');
}

async function readAll(stateDir: string): Promise<Entries> {
  try {
    const parsed = JSON.parse(await readFile(join(stateDir, FILE), 'utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Entries) : {};
  } catch {
    return {};
  }
}

/** Written beside and renamed: a reader never sees half a file; 0600 from the first byte. */
async function writeAll(stateDir: string, entries: Entries): Promise<void> {
  const target = join(stateDir, FILE);
  if (Object.keys(entries).length === 0) {
    await rm(target, { force: true });
    return;
  }
  const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  const bytes = Buffer.from(`${JSON.stringify(entries, null, 2)}\n`);
  try {
    await writeFile(tmp, bytes, { mode: 0o600, flag: 'wx' });
    await rename(tmp, target);
  } finally {
    wipe(bytes);
    await rm(tmp, { force: true });
  }
}

/** The entry for `key`, unless it expired (then it is dropped). */
export async function findPending(stateDir: string, key: string, now = new Date()): Promise<PendingEntry | undefined> {
  const all = await readAll(stateDir);
  const e = all[key];
  if (!e || typeof e.requestId !== 'string' || typeof e.replySecret !== 'string') return undefined;
  if (e.expiresAt && new Date(e.expiresAt) <= now) {
    delete all[key];
    await writeAll(stateDir, all);
    return undefined;
  }
  return e;
}

export async function savePending(stateDir: string, key: string, entry: PendingEntry): Promise<void> {
  const all = await readAll(stateDir);
  all[key] = entry;
  await writeAll(stateDir, all);
}

/** Drops the entry of `requestId` (whatever its key). */
export async function dropPending(stateDir: string, requestId: string): Promise<void> {
  const all = await readAll(stateDir);
  const keys = Object.keys(all).filter((k) => all[k]!.requestId === requestId);
  if (keys.length === 0) return;
  for (const k of keys) delete all[k];
  await writeAll(stateDir, all);
}
