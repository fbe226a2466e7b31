/**
 * `sectorcrypt keygen [--bits 128|256] > key`: a random raw key for encrypt/decrypt --key-file;
 * `sectorcrypt keygen --x25519 | --pq [-o FILE]`: an envelope identity (identity-keygen.ts).
 */
import { randomBytes } from 'node:crypto';
import { InvalidArgumentError, type Command } from 'commander';
import { SectorCryptError } from '../errors.js';
import { writeAll } from './files.js';
import { runIdentityKeygen, wantsIdentity, writeRawKeyFile, type IdentityKeygenFlags } from './identity-keygen.js';

function bits(value: string): 128 | 256 {
  if (value !== '128' && value !== '256') throw new InvalidArgumentError('must be 128 or 256');
  return Number(value) as 128 | 256;
}

export function registerKeygen(program: Command): void {
  program
    .command('keygen')
    .description('write a random key (raw bytes) to stdout: 128 bits for Cobblestone-128, 256 for Cobblestone-256')
    .option('--bits <n>', '128 or 256 (the spec recommends 128)', bits, 128)
    .option('--x25519', 'envelope: an X25519 identity (secret key and scx1... public key)')
    .option('--pq', 'envelope: a post-quantum hybrid identity (ML-KEM-768 + X25519, scpq1...)')
    .option(
      '-o, --output <path>',
      'write to this new file, mode 0600 (an identity: and print its public key; --bits 256: a KEK for --kek-file)',
    )
    .action(async (flags: { bits: 128 | 256 } & IdentityKeygenFlags) => {
      if (wantsIdentity(flags)) return runIdentityKeygen(flags);
      if (flags.output !== undefined) return writeRawKeyFile(flags.output, flags.bits);
      if (process.stdout.isTTY) {
        throw new SectorCryptError('ERR_ARGUMENT', 'refusing to write a raw key to a terminal; redirect stdout to a file');
      }
      const key = randomBytes(flags.bits / 8);
      try {
        await writeAll(process.stdout, key);
      } finally {
        key.fill(0);
      }
    });
}
