/** `sectorcrypt encrypt --key-file F [--context S] [IN [OUT]]`: C2SP chunked encryption (Cobblestone). */
import type { Command } from 'commander';
import { createChunkedEncryptStream } from '../chunked/streams.js';
import { registerChunkedCommand } from './chunked-command.js';

export function registerEncrypt(program: Command): void {
  registerChunkedCommand(program, 'encrypt', 'encrypt a file or stdin as a Cobblestone (c2sp.org/chunked-encryption) message', createChunkedEncryptStream, 0o666);
}
