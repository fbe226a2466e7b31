/**
 * The LUKS2 "pbkdf2" digest: PBKDF2 over the volume key, stored so that a candidate key
 * from a key slot can be checked without touching the data.
 */
import { pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';
import { equalConstantTime, wipe } from '../bytes.js';

const pbkdf2Async = promisify(pbkdf2);

export interface VolumeKeyDigest {
  hash: string;
  iterations: number;
  salt: Uint8Array;
  digest: Uint8Array;
}

/** Iterations for new digests; the digest guards a random key, not a passphrase. */
export const DEFAULT_DIGEST_ITERATIONS = 100_000;

export async function makeDigest(volumeKey: Uint8Array, salt: Uint8Array, iterations: number): Promise<VolumeKeyDigest> {
  const digest = await pbkdf2Async(volumeKey, salt, iterations, 32, 'sha256');
  return { hash: 'sha256', iterations, salt, digest: new Uint8Array(digest) };
}

export async function digestMatches(volumeKey: Uint8Array, d: VolumeKeyDigest): Promise<boolean> {
  const got = await pbkdf2Async(volumeKey, d.salt, d.iterations, d.digest.length, d.hash);
  const ok = equalConstantTime(got, d.digest);
  wipe(got);
  return ok;
}
