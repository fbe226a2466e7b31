/**
 * Numbers on the command line are read as the user wrote them or refused (src/cli/args.ts):
 * before, `Number()` turned an empty --sector-size into "the default", hex into a count, and
 * sent NaN or a different seq to the broker. Each refusal is one line, ERR_ARGUMENT naming
 * the option, before any file is written or any broker is asked.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './run.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sectorcrypt-numbers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => path.join(dir, name);
writeFileSync(at('pw'), 'passphrase', { mode: 0o600 });

function refused(args: string[], flag: string): void {
  const r = cli(args);
  expect(r.status).toBe(1);
  expect(r.stdout.length).toBe(0);
  expect(r.stderr).toMatch(new RegExp(`^sectorcrypt: ${flag} takes .*\\(ERR_ARGUMENT\\)\\n$`));
}

describe('volume create', () => {
  const create = (image: string, ...flags: string[]) => [
    'volume',
    'create',
    at(image),
    '--size',
    '1M',
    '--pbkdf',
    'pbkdf2',
    '--pbkdf-iterations',
    '1000',
    '--passphrase-file',
    at('pw'),
    ...flags,
  ];

  it('refuses an empty --sector-size (it used to make a volume with the default 4096)', () => {
    refused(create('empty.img', '--sector-size', ''), '--sector-size');
    expect(existsSync(at('empty.img'))).toBe(false);
  });

  it('refuses a hex or exponent count (it used to read 0x3e8 as 1000)', () => {
    refused(create('hex.img', '--pbkdf-iterations', '0x3e8'), '--pbkdf-iterations');
    refused(create('exp.img', '--pbkdf-memory', '1e6'), '--pbkdf-memory');
    expect(existsSync(at('hex.img')) || existsSync(at('exp.img'))).toBe(false);
  });

  it('refuses a size with an unknown unit', () => {
    refused(['volume', 'create', at('q.img'), '--size', '12Q'], '--size');
  });
});

describe('broker client commands', () => {
  // A broker that is never reached: a refusal must come before the CA file is even read.
  const conn = ['--url', 'https://127.0.0.1:9', '--ca', at('no-such-ca.pem')];

  it('refuse a seq or tree size that is not a whole number (0x10 used to be sent as seq 16)', () => {
    refused(['broker', 'audit', 'proof', '0x10', '20', ...conn], '<seq>');
    refused(['broker', 'audit', 'proof', '3', '2.5', ...conn], '<size>');
    refused(['broker', 'audit', 'consistency', '', '20', ...conn], '<from>');
  });

  it('refuse an enrollment token count or lifetime that is not a whole number (NaN used to be sent)', () => {
    refused(['broker', 'enroll-token', 'create', '--group', 'g', '--uses', '1.5', ...conn], '--uses');
    refused(['broker', 'enroll-token', 'create', '--group', 'g', '--expires', 'soon', ...conn], '--expires');
  });

  it('refuse an audit page size that is not a number (limit=NaN used to be asked for)', () => {
    refused(['broker', 'audit', 'export', '--limit', 'all', ...conn], '--limit');
  });
});
