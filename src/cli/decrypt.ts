/**
 * `sectorcrypt decrypt -i F... | --passphrase-file F | --kek-file F [--force] [IN] [-o OUT]` (envelope),
 * or `--key-file F [--context S] [--force] [IN [OUT]]` (raw Cobblestone): the inverse of encrypt.
 */
import type { Command } from 'commander';
import { createChunkedDecryptStream } from '../chunked/streams.js';
import { registerChunkedCommand } from './chunked-command.js';

export function registerDecrypt(program: Command): void {
  registerChunkedCommand(program, {
    name: 'decrypt',
    description:
      'decrypt an envelope (-i, --passphrase-file, --kek-file) or with --key-file a raw Cobblestone message (checks every chunk; fails on any change)',
    make: createChunkedDecryptStream,
    // Plaintext files are readable by their owner only.
    outputMode: 0o600,
    // Plaintext may well be text meant for the terminal.
    binaryOutput: false,
  });
}
