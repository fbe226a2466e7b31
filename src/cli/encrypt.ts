/** `sectorcrypt encrypt --key-file F [--context S] [--force] [IN [OUT]]`: C2SP chunked encryption (Cobblestone). */
import type { Command } from 'commander';
import { createChunkedEncryptStream } from '../chunked/streams.js';
import { registerChunkedCommand } from './chunked-command.js';

export function registerEncrypt(program: Command): void {
  registerChunkedCommand(program, {
    name: 'encrypt',
    description: 'encrypt a file or stdin as a Cobblestone (c2sp.org/chunked-encryption) message',
    make: createChunkedEncryptStream,
    outputMode: 0o666,
    binaryOutput: true,
  });
}
