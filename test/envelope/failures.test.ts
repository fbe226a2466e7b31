/**
 * Failures: a header changed in any byte, no matching identity,
 * truncated or extended payloads, malformed stanzas, a low-order X25519 share. Nothing is
 * emitted before the header MAC passed.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptChunked, encryptChunked } from '../../src/chunked/oneshot.js';
import { SLOT } from '../../src/chunked/params.js';
import { payloadKey } from '../../src/envelope/key-schedule.js';
import { payloadOptions } from '../../src/envelope/payload.js';
import {
  SectorCryptError,
  createEnvelopeDecryptStream,
  decryptEnvelope,
  encryptEnvelope,
  inspectEnvelope,
  openEnvelopeReader,
} from '../../src/index.js';
import { craft, encodeStanza, header } from './craft.js';
import { alice, bob, kek, kekId, randomPlain, throughStream } from './helpers.js';

async function code(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof SectorCryptError)) throw new Error(`expected a SectorCryptError, got ${String(err)}`);
  return err.code;
}

describe('a header changed in any byte', () => {
  it('is ERR_AUTH or ERR_CORRUPT_HEADER (ERR_NO_IDENTITY inside the stanza the identity opens), and emits nothing', async () => {
    const plain = randomPlain(20000, 5);
    const env = await encryptEnvelope(plain, { recipients: [{ kek, keyId: kekId }, alice.publicKey] });
    const summary = await inspectEnvelope(env);
    const headerText = Buffer.from(env.subarray(0, summary.headerBytes)).toString('latin1');
    const aliceStart = headerText.indexOf('-> X25519');
    const aliceEnd = headerText.indexOf('---');
    const seen = new Set<string>();
    for (let i = 0; i < summary.headerBytes; i++) {
      for (const flip of [0x01, 0x20]) {
        const bad = env.slice();
        bad[i] ^= flip;
        const got = await code(decryptEnvelope(bad, { identities: [alice.secretKey] }));
        const allowed =
          i >= aliceStart && i < aliceEnd ? ['ERR_AUTH', 'ERR_CORRUPT_HEADER', 'ERR_NO_IDENTITY'] : ['ERR_AUTH', 'ERR_CORRUPT_HEADER'];
        if (!allowed.includes(got)) throw new Error(`byte ${i} ^ ${flip}: ${got}`);
        seen.add(got);
        if (flip === 0x01) {
          const streamed = await throughStream(createEnvelopeDecryptStream({ identities: [alice.secretKey] }), bad, 4096);
          expect((streamed.error as SectorCryptError).code).toBe(got);
          expect(streamed.output.length).toBe(0);
        }
      }
    }
    expect([...seen].sort()).toEqual(['ERR_AUTH', 'ERR_CORRUPT_HEADER', 'ERR_NO_IDENTITY']);
  });

  it('a stanza swapped in from another envelope fails the MAC (ERR_AUTH)', async () => {
    const a = await encryptEnvelope(new Uint8Array(5), { recipients: [alice.publicKey, bob.publicKey] });
    const b = await encryptEnvelope(new Uint8Array(5), { recipients: [alice.publicKey, bob.publicKey] });
    const [ta, tb] = [a, b].map((e) => Buffer.from(e).toString('latin1'));
    const stanza = (t: string) => t.slice(t.indexOf('-> X25519', 30), t.indexOf('---'));
    const mixed = new Uint8Array(Buffer.from(ta.replace(stanza(ta), stanza(tb)), 'latin1'));
    expect(await code(decryptEnvelope(mixed, { identities: [alice.secretKey] }))).toBe('ERR_AUTH');
  });
});

describe('no matching identity', () => {
  it('is ERR_NO_IDENTITY naming the stanza types present', async () => {
    const env = await encryptEnvelope(new Uint8Array(5), { recipients: [alice.publicKey, { kek, keyId: kekId }] });
    const err = (await decryptEnvelope(env, { identities: [bob.secretKey, { passphrase: 'x' }, { kek: new Uint8Array(32) }] }).catch(
      (e: SectorCryptError) => e,
    )) as SectorCryptError;
    expect(err.code).toBe('ERR_NO_IDENTITY');
    expect(err.message).toContain('X25519, aes256-kw');
    await expect(openEnvelopeReader(env, { identities: [bob.secretKey] })).rejects.toThrow(/ERR_NO_IDENTITY/);
    const streamed = await throughStream(createEnvelopeDecryptStream({ identities: [bob.secretKey] }), env);
    expect((streamed.error as SectorCryptError).code).toBe('ERR_NO_IDENTITY');
  });

  it('a KEK identity with another key id does not try the stanza', async () => {
    const env = await encryptEnvelope(new Uint8Array(5), { recipients: [{ kek, keyId: kekId }] });
    expect(await code(decryptEnvelope(env, { identities: [{ kek, keyId: 'other' }] }))).toBe('ERR_NO_IDENTITY');
    expect(await decryptEnvelope(env, { identities: [{ kek }] })).toEqual(new Uint8Array(5));
  });

  it('unknown stanza types are skipped; a file of only unknown types is ERR_NO_IDENTITY', async () => {
    const fileKey = randomBytes(32);
    const future = encodeStanza('future-kem', ['abc'], randomBytes(70));
    const only = craft(fileKey, [future]);
    const err = (await decryptEnvelope(only, { identities: [alice.secretKey] }).catch((e: SectorCryptError) => e)) as SectorCryptError;
    expect(err.code).toBe('ERR_NO_IDENTITY');
    expect(err.message).toContain('future-kem');
    // With a stanza we can open after it, the unknown one is skipped and kept under the MAC.
    const { sealAes256Kw } = await import('../../src/envelope/stanzas/aes256-kw.js');
    const kw = sealAes256Kw(kek, kekId, fileKey);
    const mixed = craft(fileKey, [future, encodeStanza(kw.type, kw.args, kw.body)], new Uint8Array([9, 9]));
    expect(await decryptEnvelope(mixed, { identities: [{ kek }] })).toEqual(new Uint8Array([9, 9]));
  });
});

describe('payload truncated or extended fails as Cobblestone does', () => {
  const fileKey = randomBytes(32);
  const plain = randomPlain(3 * 16384 + 100, 8);

  it('same error code as decryptChunked on the same payload bytes, nothing emitted by the stream', async () => {
    const { sealAes256Kw: seal } = await import('../../src/envelope/stanzas/aes256-kw.js');
    const kw = seal(kek, kekId, fileKey);
    const head = header(fileKey, [encodeStanza(kw.type, kw.args, kw.body)]);
    const payload = encryptChunked(payloadKey(fileKey), plain, payloadOptions());
    const variants = [
      payload.subarray(0, 0),
      payload.subarray(0, 20),
      payload.subarray(0, 56),
      payload.subarray(0, 56 + SLOT),
      payload.subarray(0, payload.length - 1),
      Buffer.concat([payload, new Uint8Array(1)]),
      Buffer.concat([payload, new Uint8Array(SLOT)]),
    ];
    for (const variant of variants) {
      const expected = await code(Promise.resolve().then(() => decryptChunked(payloadKey(fileKey), variant, payloadOptions())));
      const env = new Uint8Array(Buffer.concat([head, variant]));
      expect(await code(decryptEnvelope(env, { identities: [{ kek }] }))).toBe(expected);
      const streamed = await throughStream(createEnvelopeDecryptStream({ identities: [{ kek }] }), env);
      expect((streamed.error as SectorCryptError).code).toBe(expected);
      expect(['ERR_TRUNCATED', 'ERR_TRAILING_DATA', 'ERR_AUTH']).toContain(expected);
    }
  });
});

describe('malformed stanzas and shares', () => {
  it('a low-order X25519 share cannot open anything (ERR_NO_IDENTITY), and sealing to a low-order key is refused', async () => {
    const fileKey = randomBytes(32);
    const lowOrder = [
      new Uint8Array(32),
      new Uint8Array(32).fill(0).map((_, i) => (i === 0 ? 1 : 0)),
      new Uint8Array(Buffer.from('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', 'hex')),
    ];
    for (const point of lowOrder) {
      const stanza = encodeStanza('X25519', [Buffer.from(point).toString('base64').replace(/=+$/, '')], randomBytes(48));
      expect(await code(decryptEnvelope(craft(fileKey, [stanza]), { identities: [alice.secretKey] }))).toBe('ERR_NO_IDENTITY');
      await expect(
        encryptEnvelope(new Uint8Array(1), { recipients: [{ broker: { keyId: 'k', version: 1, publicKey: point } }] }),
      ).rejects.toThrow(/ERR_ARGUMENT/);
    }
  });

  it('known types with the wrong shape are ERR_CORRUPT_HEADER', async () => {
    const fileKey = randomBytes(32);
    const shapes = [
      encodeStanza('X25519', ['AAAA', 'AAAA'], randomBytes(48)),
      encodeStanza('X25519', [Buffer.alloc(31).toString('base64').replace(/=+$/, '')], randomBytes(48)),
      encodeStanza('X25519', [Buffer.alloc(32).toString('base64').replace(/=+$/, '')], randomBytes(47)),
    ];
    for (const s of shapes)
      expect(await code(decryptEnvelope(craft(fileKey, [s]), { identities: [alice.secretKey] }))).toBe('ERR_CORRUPT_HEADER');
    const kw = [encodeStanza('aes256-kw', ['bad*id'], randomBytes(40)), encodeStanza('aes256-kw', ['ok'], randomBytes(41))];
    for (const s of kw) expect(await code(decryptEnvelope(craft(fileKey, [s]), { identities: [{ kek }] }))).toBe('ERR_CORRUPT_HEADER');
    const argon = [
      encodeStanza('argon2id', ['AAAAAAAAAAAAAAAAAAAAAA', '0100', '1', '1'], randomBytes(48)),
      encodeStanza('argon2id', ['AAAAAAAAAAAAAAAAAAAAAA', '64', '0', '1'], randomBytes(48)),
      encodeStanza('argon2id', ['AAAA', '64', '1', '1'], randomBytes(48)),
    ];
    for (const s of argon)
      expect(await code(decryptEnvelope(craft(fileKey, [s]), { identities: [{ passphrase: 'p' }] }))).toBe('ERR_CORRUPT_HEADER');
  });
});
