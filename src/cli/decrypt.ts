/** `sectorcrypt decrypt -i F... | --passphrase-file F | --kek-file F [IN] [-o OUT]` (envelope), or `--key-file F` (raw Cobblestone). */
import type { Command } from 'commander';
import { createChunkedDecryptStream } from '../chunked/streams.js';
import { registerChunkedCommand } from './chunked-command.js';

export function registerDecrypt(program: Command): void {
  // Plaintext files are readable by their owner only.
  registerChunkedCommand(program, 'decrypt', 'decrypt an envelope (-i, --passphrase-file, --kek-file) or with --key-file a raw Cobblestone message (checks every chunk; fails on any change)', createChunkedDecryptStream, 0o600);
}
