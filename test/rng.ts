/**
 * Reproducible random bytes for cross-checks: AES-128-CTR over zeros under a seed key.
 * The seed is random per run unless SECTORCRYPT_TEST_SEED (32 hex digits) is set;
 * assertion messages carry it so a failure can be replayed.
 */
import { createCipheriv, randomBytes } from 'node:crypto';

export class Rng {
  readonly seed: string;
  private readonly stream;

  constructor(seed = process.env.SECTORCRYPT_TEST_SEED ?? randomBytes(16).toString('hex')) {
    this.seed = seed;
    this.stream = createCipheriv('aes-128-ctr', Buffer.from(seed, 'hex'), Buffer.alloc(16));
  }

  bytes(n: number): Uint8Array {
    return new Uint8Array(this.stream.update(Buffer.alloc(n)));
  }

  /** An integer in [0, max). */
  int(max: number): number {
    const b = this.bytes(6);
    const x = b[0] * 2 ** 40 + b[1] * 2 ** 32 + b[2] * 2 ** 24 + b[3] * 2 ** 16 + b[4] * 2 ** 8 + b[5];
    return Math.floor((x / 2 ** 48) * max);
  }
}
