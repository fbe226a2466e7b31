/**
 * Passphrases for the CLI: from a file (its bytes exactly, as cryptsetup's --key-file) or
 * from a prompt on the terminal with echo off. Never from argv, where `ps` would show them.
 */
import { readFile } from 'node:fs/promises';
import { SectorCryptError } from '../errors.js';
import { withFsErrors } from '../fs-errors.js';

/** Reads one line from the terminal without echoing it. */
function promptHidden(question: string): Promise<Uint8Array> {
  const input = process.stdin;
  if (!input.isTTY) {
    return Promise.reject(new SectorCryptError('ERR_ARGUMENT', 'no passphrase: give --passphrase-file or run in a terminal'));
  }
  process.stderr.write(question);
  input.setRawMode(true);
  input.resume();
  const chars: number[] = [];
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      process.stderr.write('\n');
      const bytes = new Uint8Array(chars);
      chars.fill(0);
      if (err) reject(err);
      else resolve(bytes);
    };
    const onData = (data: Buffer) => {
      for (const c of data) {
        if (c === 0x0d || c === 0x0a) return done();
        if (c === 0x03) return done(new SectorCryptError('ERR_ARGUMENT', 'cancelled'));
        if (c === 0x7f || c === 0x08) chars.pop();
        else chars.push(c);
      }
      data.fill(0);
    };
    input.on('data', onData);
  });
}

/** The passphrase from `file`, or asked for (twice when `confirm`, as for a new one). */
export async function getPassphrase(file: string | undefined, question: string, confirm = false): Promise<Uint8Array> {
  if (file !== undefined) {
    const bytes = new Uint8Array(await withFsErrors(file, 'read passphrase file', () => readFile(file)));
    if (bytes.length === 0) throw new SectorCryptError('ERR_ARGUMENT', `passphrase file ${file} is empty`);
    return bytes;
  }
  const first = await promptHidden(question);
  if (first.length === 0) throw new SectorCryptError('ERR_ARGUMENT', 'empty passphrase');
  if (confirm) {
    const again = await promptHidden('Verify passphrase: ');
    const same = Buffer.from(first).equals(Buffer.from(again));
    again.fill(0);
    if (!same) throw new SectorCryptError('ERR_ARGUMENT', 'passphrases do not match');
  }
  return first;
}
