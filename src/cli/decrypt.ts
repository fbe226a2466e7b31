/** `sectorcrypt decrypt --key-file F [--context S] [IN [OUT]]`: the inverse of encrypt. */
import type { Command } from 'commander';
import { createChunkedDecryptStream } from '../chunked/streams.js';
import { registerChunkedCommand } from './chunked-command.js';

export function registerDecrypt(program: Command): void {
  // Plaintext files are readable by their owner only.
  registerChunkedCommand(program, 'decrypt', 'decrypt a Cobblestone message (checks every chunk; fails on any change)', createChunkedDecryptStream, 0o600);
}
