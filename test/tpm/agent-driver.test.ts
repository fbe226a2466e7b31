/**
 * The agent's TPM driver without a TPM: TCTI strings, the files it reads and writes, and the
 * quote's retry when PCRs move under it, with tpm2-tools replaced by a fake.
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  credentialFile,
  DEFAULT_TCTI,
  loadAkRecord,
  parseTcti,
  readEventLogs,
  saveAkRecord,
  trimDer,
  type AkRecord,
} from '../../src/agent/attest/tpm/index.js';
import { QUOTE_ATTEMPTS, quote } from '../../src/agent/attest/tpm/quote.js';
import { withTempDir, type TpmTools } from '../../src/agent/attest/tpm/tools.js';
import { SectorCryptError } from '../../src/errors.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sectorcrypt-tpm-driver-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const AK: AkRecord = { tcti: 'swtpm:port=1', ekAlg: 'rsa', handle: '0x81000100', public: 'AA==', name: '000b' + '11'.repeat(32) };

describe('--tpm TCTI', () => {
  it('defaults to the kernel resource manager', () => {
    expect(parseTcti(undefined)).toBe(DEFAULT_TCTI);
    expect(parseTcti(true)).toBe('device:/dev/tpmrm0');
    expect(parseTcti('swtpm:host=127.0.0.1,port=2321')).toBe('swtpm:host=127.0.0.1,port=2321');
    expect(parseTcti('tabrmd')).toBe('tabrmd');
  });

  it.each(['swtpm:host=a\nport=1', 'swtpm:host=a port=1', '$(reboot)', ':x', ''.padEnd(3, '\0')])('refuses %j (ERR_ARGUMENT)', (value) => {
    expect(() => parseTcti(value)).toThrow(expect.objectContaining({ code: 'ERR_ARGUMENT' }));
  });
});

describe('files', () => {
  it('trims the NV padding after the EK certificate, and refuses what is not DER', () => {
    const der = Buffer.concat([Buffer.from([0x30, 0x82, 0x00, 0x03, 1, 2, 3]), Buffer.alloc(9)]);
    expect(Buffer.from(trimDer(der))).toEqual(Buffer.from([0x30, 0x82, 0x00, 0x03, 1, 2, 3]));
    expect(() => trimDer(Buffer.alloc(16, 0xff))).toThrow(expect.objectContaining({ code: 'ERR_TPM' }));
    expect(() => trimDer(Buffer.from([0x30, 0x82, 0x01, 0x00, 1]))).toThrow(expect.objectContaining({ code: 'ERR_TPM' }));
  });

  it("writes the credential in tpm2-tools' format (magic, version 1, two TPM2Bs)", () => {
    const f = Buffer.from(credentialFile(new Uint8Array([1, 2, 3]), new Uint8Array([4, 5])));
    expect(f.toString('hex')).toBe('badcc0de' + '00000001' + '0003010203' + '00020405');
  });

  it('keeps the AK record 0600, and refuses a record that is not one', async () => {
    await saveAkRecord(dir, AK);
    expect((await stat(join(dir, 'tpm.json'))).mode & 0o777).toBe(0o600);
    expect(await loadAkRecord(dir)).toEqual(AK);
    await writeFile(join(dir, 'tpm.json'), JSON.stringify({ ...AK, handle: '0x01c00002' }));
    await expect(loadAkRecord(dir)).rejects.toMatchObject({ code: 'ERR_CORRUPT_HEADER' });
    await expect(loadAkRecord(join(dir, 'none'))).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    await writeFile(join(dir, 'tpm.json'), '{not json');
    await expect(loadAkRecord(dir)).rejects.toMatchObject({ code: 'ERR_CORRUPT_HEADER' });
  });

  it('reads the event logs when present and says why when not', async () => {
    await writeFile(join(dir, 'bios'), Buffer.from([1, 2, 3]));
    const logs = await readEventLogs({ uefi: join(dir, 'bios'), ima: join(dir, 'missing') });
    expect(Buffer.from(logs.uefi!)).toEqual(Buffer.from([1, 2, 3]));
    expect(logs.ima).toBeUndefined();
    expect(logs.missing).toEqual(['ima: ENOENT']);
  });

  it('works in a private folder (0700) it removes afterwards, also on failure', async () => {
    let seen = '';
    await expect(
      withTempDir(async (t) => {
        seen = t.path;
        expect((await stat(t.path)).mode & 0o777).toBe(0o700);
        await t.write('secret', new Uint8Array([1]));
        expect((await stat(t.file('secret'))).mode & 0o777).toBe(0o600);
        throw new Error('tool failed');
      }),
    ).rejects.toThrow('tool failed');
    await expect(stat(seen)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('quote retries when the PCRs move', () => {
  /** tpm2-tools faked: readpublic gives the AK's Name; tpm2_quote fails `failures` times like tpm2_quote does. */
  function fakeTools(failures: number): TpmTools & { quotes: number } {
    const fake = {
      tcti: 'fake',
      quotes: 0,
      async run(argv: string[]): Promise<Buffer> {
        const out = (flag: string) => argv[argv.indexOf(flag) + 1]!;
        if (argv[0] === 'tpm2_readpublic') await writeFile(out('-n'), Buffer.from(AK.name, 'hex'));
        if (argv[0] === 'tpm2_quote') {
          fake.quotes++;
          if (fake.quotes <= failures)
            throw new SectorCryptError(
              'ERR_TPM',
              'tpm2_quote failed (exit 1): ERROR: Error validating calculated PCR composite with quote',
            );
          await writeFile(out('-m'), Buffer.from('attest'));
          await writeFile(out('-s'), Buffer.from('sig'));
          await writeFile(out('-o'), Buffer.alloc(64, 7));
        }
        return Buffer.alloc(0);
      },
      async flush() {},
    };
    return fake;
  }

  it('quotes again, and returns the quote whose PCR values matched', async () => {
    const tools = fakeTools(2);
    const q = await withTempDir((t) => quote(tools, t, AK, [10, 0], new Uint8Array(32)));
    expect(tools.quotes).toBe(3);
    expect([...q.pcrs.keys()]).toEqual([0, 10]);
  });

  it(`gives up after ${QUOTE_ATTEMPTS} quotes with ERR_TPM saying why`, async () => {
    const tools = fakeTools(100);
    await expect(withTempDir((t) => quote(tools, t, AK, [10], new Uint8Array(32)))).rejects.toMatchObject({
      code: 'ERR_TPM',
      message: expect.stringMatching(/changed during each of 5 quotes/),
    });
    expect(tools.quotes).toBe(QUOTE_ATTEMPTS);
  });

  it('does not retry other failures', async () => {
    const tools = fakeTools(0);
    tools.run = async (argv) => {
      if (argv[0] === 'tpm2_readpublic')
        throw new SectorCryptError('ERR_TPM', 'tpm2_readpublic failed (exit 1): tpm:handle(1):the handle is not correct for the use');
      return Buffer.alloc(0);
    };
    await expect(withTempDir((t) => quote(tools, t, AK, [10], new Uint8Array(32)))).rejects.toMatchObject({
      message: expect.stringMatching(/^tpm2_readpublic/),
    });
  });
});
