/**
 * `sectorcrypt keygen --x25519 | --pq [-o FILE]`: a new envelope identity. With -o, the
 * identity file is written with mode 0600 (never over an existing file) and the public key
 * printed; without it, the identity goes to stdout and the public key to stderr.
 */
import { randomBytes } from 'node:crypto';
import { SectorCryptError } from '../errors.js';
import type { IdentityKind } from '../envelope/generate.js';
import { writePrivateFile } from '../envelope/key-files.js';
import { writeAll } from './files.js';

export interface IdentityKeygenFlags {
  x25519?: boolean;
  pq?: boolean;
  output?: string;
}

export function wantsIdentity(flags: IdentityKeygenFlags): boolean {
  if (flags.x25519 && flags.pq) throw new SectorCryptError('ERR_ARGUMENT', 'give --x25519 or --pq, not both');
  return Boolean(flags.x25519 || flags.pq);
}

export async function runIdentityKeygen(flags: IdentityKeygenFlags): Promise<void> {
  const kind: IdentityKind = flags.pq ? 'mlkem768x25519' : 'x25519';
  const { generateIdentity } = await import('../envelope/generate.js'); // HPKE loads only when used
  const { secretKey, publicKey } = await generateIdentity(kind);
  const file = `# created: ${new Date().toISOString()}\n# type: ${kind}\n# public key: ${publicKey}\n${secretKey}\n`;
  if (flags.output !== undefined) {
    await writePrivateFile(flags.output, file);
    await writeAll(process.stdout, new TextEncoder().encode(`${publicKey}\n`));
  } else {
    await writeAll(process.stdout, new TextEncoder().encode(file));
    process.stderr.write(`public key: ${publicKey}\n`);
  }
}

/** `keygen --bits N -o FILE`: a raw key in a new file of mode 0600 (a KEK for --kek-file, or a --key-file key). */
export async function writeRawKeyFile(file: string, bits: number): Promise<void> {
  const key = randomBytes(bits / 8);
  try {
    await writePrivateFile(file, key);
  } finally {
    key.fill(0);
  }
}
