/**
 * `sectorcrypt encrypt -r KEY... [-R F] [--passphrase-file F] [--kek-file F --kek-id ID] [--force] [IN] [-o OUT]`: an envelope;
 * `sectorcrypt encrypt --key-file F [--context S] [--force] [IN [OUT]]`: raw C2SP chunked encryption (Cobblestone).
 */
import type { Command } from 'commander';
import { createChunkedEncryptStream } from '../chunked/streams.js';
import { registerChunkedCommand } from './chunked-command.js';

export function registerEncrypt(program: Command): void {
  registerChunkedCommand(program, {
    name: 'encrypt',
    description:
      'encrypt a file or stdin: an envelope for recipients (-r, -R, --passphrase-file, --kek-file), or with --key-file a raw Cobblestone (c2sp.org/chunked-encryption) message',
    make: createChunkedEncryptStream,
    outputMode: 0o666,
    binaryOutput: true,
  });
}
