/**
 * The broker's TPM parsers and verifiers on crafted bytes, as a device under an attacker's
 * control would send them: truncated at every length, wrong magic or type, size fields far
 * past the input, random mutations. Each must end in our error (ERR_CORRUPT_HEADER) or a
 * refusal with a reason, never another exception, a crash or an allocation of what a size
 * field claims.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SectorCryptError } from '../../src/errors.js';
import {
  kdfa,
  makeCredential,
  objectName,
  parseImaLog,
  parsePublic,
  parseQuoteAttest,
  parseSignature,
  parseUefiEventLog,
  quoteQualifyingData,
  replayUefiLog,
  verifyQuote,
  verifyTpmEvidence,
  type TpmEvidence,
} from '../../src/broker/attest/tpm/index.js';
import { Rng } from '../rng.js';
import { bootEvents, imaLog, uefiLog } from './event-logs.js';
import { AK_ATTRIBUTES, softAttest, softEccAk, softSign } from './soft-tpm.js';

function expectCorrupt(fn: () => unknown, message?: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, 'must throw').toBeInstanceOf(SectorCryptError);
  expect((thrown as SectorCryptError).code).toBe('ERR_CORRUPT_HEADER');
  if (message) expect((thrown as Error).message).toMatch(message);
}

/** Returns, or throws our error: nothing else. */
function ownErrorsOnly(fn: () => unknown, seed: string): void {
  try {
    fn();
  } catch (err) {
    expect(err, `seed ${seed}`).toBeInstanceOf(SectorCryptError);
  }
}

const PCRS = [0, 7, 16];
const VALUES = PCRS.map((n) => new Uint8Array(32).fill(n));

function goodQuote() {
  const ak = softEccAk();
  const qd = quoteQualifyingData(new Uint8Array(32), new Uint8Array([1]));
  const attest = softAttest({ extraData: qd, pcrs: PCRS, pcrValues: VALUES });
  const evidence: TpmEvidence = {
    akPublic: ak.public,
    attest,
    signature: softSign(ak, attest),
    pcrs: new Map(PCRS.map((n, i) => [n, VALUES[i]!])),
  };
  return { ak, qd, attest, evidence, expected: { akName: ak.name, qualifyingData: qd, pcrs: PCRS } };
}

describe('TPMT_PUBLIC', () => {
  const ak = softEccAk();

  it('parses an ECC AK (bare and as TPM2B_PUBLIC) and names it nameAlg || SHA-256(TPMT_PUBLIC)', () => {
    for (const bytes of [ak.tpmt, ak.public]) {
      const pub = parsePublic(bytes);
      expect(pub.type).toBe('ecc');
      expect(pub.attributes).toBe(AK_ATTRIBUTES);
      expect(Buffer.from(objectName(pub)).equals(ak.name)).toBe(true);
    }
  });

  it('truncated at every length: ERR_CORRUPT_HEADER', () => {
    for (let n = 0; n < ak.tpmt.length; n++) expectCorrupt(() => parsePublic(ak.tpmt.subarray(0, n)));
  });

  it('a TPM2B size far past the input: ERR_CORRUPT_HEADER, nothing allocated from it', () => {
    const huge = Buffer.from(ak.tpmt);
    huge.writeUInt16BE(0xffff, 8); // authPolicy.size
    expectCorrupt(() => parsePublic(huge), /authPolicy\.size 65535 exceeds 64/);
    expectCorrupt(() => parsePublic(Buffer.concat([Buffer.from([0xff, 0xff]), ak.tpmt])));
  });

  it('an unknown key type, curve or a point off the curve: ERR_CORRUPT_HEADER', () => {
    const t = Buffer.from(ak.tpmt);
    t.writeUInt16BE(0x0025, 0);
    expectCorrupt(() => parsePublic(t), /key type/);
    const offCurve = Buffer.from(ak.tpmt);
    offCurve[offCurve.length - 1]! ^= 1;
    const pub = parsePublic(offCurve);
    expect(
      verifyQuote({ ...goodQuote().evidence, akPublic: offCurve }, { ...goodQuote().expected, akName: objectName(pub) }),
    ).toMatchObject({ ok: false, reason: expect.stringMatching(/not a valid public key/) });
  });

  it('bytes after the structure: ERR_CORRUPT_HEADER', () => {
    expectCorrupt(() => parsePublic(Buffer.concat([ak.tpmt, Buffer.from([0])])));
  });
});

describe('TPMS_ATTEST and TPMT_SIGNATURE', () => {
  const { attest, evidence } = goodQuote();

  it('parses the quote fields', () => {
    const a = parseQuoteAttest(attest);
    expect(a.resetCount).toBe(3);
    expect(a.pcrSelect).toEqual([{ hash: 0x000b, pcrs: PCRS }]);
  });

  it('wrong magic, wrong type: ERR_CORRUPT_HEADER naming them', () => {
    expectCorrupt(
      () => parseQuoteAttest(softAttest({ magic: 0x12345678, extraData: new Uint8Array(1), pcrs: [0], pcrValues: [VALUES[0]!] })),
      /magic/,
    );
    expectCorrupt(
      () => parseQuoteAttest(softAttest({ type: 0x8017, extraData: new Uint8Array(1), pcrs: [0], pcrValues: [VALUES[0]!] })),
      /TPM_ST_ATTEST_QUOTE/,
    );
  });

  it('truncated at every length: ERR_CORRUPT_HEADER', () => {
    for (let n = 0; n < attest.length; n++) expectCorrupt(() => parseQuoteAttest(attest.subarray(0, n)));
    for (let n = 0; n < evidence.signature.length; n++) expectCorrupt(() => parseSignature(evidence.signature.subarray(0, n)));
  });

  it('a PCR selection count of 2^32-1 and a 255-byte bitmap: ERR_CORRUPT_HEADER at once', () => {
    const a = Buffer.from(attest);
    const at = a.length - 2 - 32 - 3 - 1 - 2 - 4;
    a.writeUInt32BE(0xffffffff, at);
    expectCorrupt(() => parseQuoteAttest(a), /pcrSelect\.count/);
    const b = Buffer.from(attest);
    b[at + 6] = 0xff;
    expectCorrupt(() => parseQuoteAttest(b), /sizeofSelect/);
  });

  it('an unknown signature algorithm: ERR_CORRUPT_HEADER', () => {
    const s = Buffer.from(evidence.signature);
    s.writeUInt16BE(0x001a, 0);
    expectCorrupt(() => parseSignature(s), /sigAlg/);
  });
});

describe('verifyQuote on software-made quotes', () => {
  it('accepts a well-made quote', () => {
    const { evidence, expected } = goodQuote();
    expect(verifyQuote(evidence, expected)).toMatchObject({ ok: true });
  });

  it('refuses an AK that is not a restricted signing key fixed to its TPM', () => {
    for (const [bit, name] of [
      [0x10000, 'restricted'],
      [0x2, 'fixedTPM'],
      [0x10, 'fixedParent'],
      [0x20, 'sensitiveDataOrigin'],
      [0x40000, 'sign'],
    ] as const) {
      const ak = softEccAk(AK_ATTRIBUTES & ~bit);
      const qd = new Uint8Array(32);
      const attest = softAttest({ extraData: qd, pcrs: PCRS, pcrValues: VALUES });
      const result = verifyQuote(
        { akPublic: ak.public, attest, signature: softSign(ak, attest), pcrs: new Map(PCRS.map((n, i) => [n, VALUES[i]!])) },
        { akName: ak.name, qualifyingData: qd, pcrs: PCRS },
      );
      expect(result).toMatchObject({ ok: false, reason: expect.stringContaining(name) });
    }
    const decrypt = softEccAk(AK_ATTRIBUTES | 0x20000);
    const attest = softAttest({ extraData: new Uint8Array(32), pcrs: PCRS, pcrValues: VALUES });
    expect(
      verifyQuote(
        { akPublic: decrypt.public, attest, signature: softSign(decrypt, attest), pcrs: new Map() },
        { akName: decrypt.name, qualifyingData: new Uint8Array(32), pcrs: PCRS },
      ),
    ).toMatchObject({ ok: false, reason: expect.stringMatching(/decryption/) });
  });

  it('refuses a quote over the sha1 bank when sha256 was asked', () => {
    const ak = softEccAk();
    const qd = new Uint8Array(32);
    const attest = softAttest({ extraData: qd, pcrs: PCRS, pcrValues: VALUES, selectionHash: 0x0004 });
    expect(
      verifyQuote(
        { akPublic: ak.public, attest, signature: softSign(ak, attest), pcrs: new Map(PCRS.map((n, i) => [n, VALUES[i]!])) },
        { akName: ak.name, qualifyingData: qd, pcrs: PCRS },
      ),
    ).toMatchObject({ ok: false, reason: expect.stringMatching(/sha1:0,7,16/) });
  });

  it('random mutations of every input: a refusal with a reason, never an exception', () => {
    const rng = new Rng();
    const { evidence, expected } = goodQuote();
    for (let i = 0; i < 2000; i++) {
      const field = (['akPublic', 'attest', 'signature'] as const)[rng.int(3)]!;
      const bytes = new Uint8Array(evidence[field]);
      const mutated = rng.int(2) === 0 ? bytes.subarray(0, rng.int(bytes.length)) : bytes;
      if (mutated.length) mutated[rng.int(mutated.length)]! ^= 1 + rng.int(255);
      const result = verifyTpmEvidence({ ...evidence, [field]: mutated }, expected);
      expect(result.ok, `seed ${rng.seed}`).toBe(false);
    }
  });

  it('random bytes in every field and both logs: never anything but a refusal', () => {
    const rng = new Rng();
    const { evidence, expected } = goodQuote();
    for (let i = 0; i < 500; i++) {
      const r = () => rng.bytes(rng.int(400));
      expect(
        () =>
          verifyTpmEvidence(
            { akPublic: r(), attest: r(), signature: r(), pcrs: new Map([[0, r()]]), eventLogs: { uefi: r(), ima: r() } },
            expected,
          ),
        `seed ${rng.seed}`,
      ).not.toThrow();
      expect(verifyTpmEvidence({ ...evidence, eventLogs: { uefi: r(), ima: r() } }, expected).ok, `seed ${rng.seed}`).toBe(false);
    }
  });
});

describe('event log parsers', () => {
  const log = uefiLog(bootEvents('root=/dev/sda1 ro'));
  const ima = imaLog([{ path: '/bin/sh', content: 'sh' }]);

  it('a UEFI log truncated at every length: ERR_CORRUPT_HEADER (or fewer events)', () => {
    const full = parseUefiEventLog(log).events.length;
    for (let n = 0; n < log.length; n++) {
      try {
        expect(parseUefiEventLog(log.subarray(0, n)).events.length).toBeLessThan(full);
      } catch (err) {
        expect((err as SectorCryptError).code).toBe('ERR_CORRUPT_HEADER');
      }
    }
  });

  it('an event size of 2^32-1, a digest count past the header, a PCR past 23: ERR_CORRUPT_HEADER', () => {
    const first = parseUefiEventLog(log);
    expect(first.events.length).toBe(3);
    const headerLen = 32 + Buffer.from(log).readUInt32LE(28);
    const size = Buffer.from(log);
    size.writeUInt32LE(0xffffffff, headerLen + 12 + 2 + 20 + 2 + 32);
    expectCorrupt(() => parseUefiEventLog(size), /event needs 4294967295 bytes/);
    const count = Buffer.from(log);
    count.writeUInt32LE(0xffffffff, headerLen + 8);
    expectCorrupt(() => parseUefiEventLog(count), /digests/);
    const pcr = Buffer.from(log);
    pcr.writeUInt32LE(24, headerLen);
    expectCorrupt(() => parseUefiEventLog(pcr), /PCR 24/);
  });

  it('a log without the Spec ID event (a SHA-1 only log): ERR_CORRUPT_HEADER', () => {
    const old = Buffer.from(log);
    old.write('Spec ID Event02', 32, 'latin1');
    expectCorrupt(() => parseUefiEventLog(old), /crypto-agile/);
  });

  it('replays PCR 0 from the StartupLocality event', () => {
    const loc = Buffer.concat([Buffer.from('StartupLocality\0', 'latin1'), Buffer.from([3])]);
    const digest = createHash('sha256').update('crtm').digest();
    const l = parseUefiEventLog(
      uefiLog([
        { pcr: 0, type: 0x3, data: loc },
        { pcr: 0, type: 0x8, data: Buffer.from('crtm') },
      ]),
    );
    const start = Buffer.alloc(32);
    start[31] = 3;
    expect(Buffer.from(replayUefiLog(l).get(0)!).equals(createHash('sha256').update(start).update(digest).digest())).toBe(true);
  });

  it('an IMA log truncated at every length, with a huge template size, an unknown template: ERR_CORRUPT_HEADER', () => {
    for (let n = 1; n < ima.length; n++) expectCorrupt(() => parseImaLog(ima.subarray(0, n)));
    const huge = Buffer.from(ima);
    huge.writeUInt32LE(0xfffffff0, 4 + 20 + 4 + 6);
    expectCorrupt(() => parseImaLog(huge));
    const other = Buffer.from(ima);
    other.write('ima-xx', 28, 'latin1');
    expectCorrupt(() => parseImaLog(other), /not ima-ng/);
  });

  it('random mutations of both logs: our error or a parse, nothing else', () => {
    const rng = new Rng();
    for (let i = 0; i < 2000; i++) {
      const src = i % 2 ? log : ima;
      const b = new Uint8Array(src);
      for (let k = 0; k < 1 + rng.int(4); k++) b[rng.int(b.length)] = rng.int(256);
      ownErrorsOnly(() => (i % 2 ? parseUefiEventLog(b) : parseImaLog(b)), rng.seed);
    }
  });
});

describe('MakeCredential and KDFa', () => {
  it('KDFa: SP 800-108 counter mode over HMAC-SHA256, label with its NUL, L in bits', () => {
    const key = new Uint8Array(randomBytes(32));
    const ctx = new Uint8Array([9, 9]);
    const out = kdfa(0x000b, key, 'STORAGE', ctx, new Uint8Array(0), 128);
    const want = createHmac('sha256', key)
      .update(Buffer.from([0, 0, 0, 1]))
      .update('STORAGE\0')
      .update(ctx)
      .update(Buffer.from([0, 0, 0, 128]))
      .digest()
      .subarray(0, 16);
    expect(Buffer.from(out).equals(want)).toBe(true);
    expect(kdfa(0x000b, key, 'X', ctx, ctx, 520).length).toBe(65);
  });

  it('refuses an EK that is not a restricted decryption key', () => {
    const ak = softEccAk();
    expect(() => makeCredential(parsePublic(ak.public), ak.name, new Uint8Array(16))).toThrow(
      expect.objectContaining({ code: 'ERR_ARGUMENT' }),
    );
  });
});
