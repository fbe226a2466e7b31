/** Round trips: each recipient type alone and mixed, through one-shot, Node and Web streams, and the reader. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createEnvelopeDecryptStream,
  createEnvelopeDecryptWebStream,
  createEnvelopeEncryptStream,
  createEnvelopeEncryptWebStream,
  decryptEnvelope,
  encryptEnvelope,
  envelopeBrokerSecrets,
  inspectEnvelope,
  openEnvelopeReader,
  type Identity,
  type Recipient,
} from '../../src/index.js';
import { hpkeGenerateKeyPair, hpkeOpen } from '../../src/keys/hpke.js';
import { alice, bob, CHEAP, kek, kekId, quinn, randomPlain, throughStream } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sectorcrypt-envelope-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const broker = await hpkeGenerateKeyPair('x25519');
/** Stands in for the key broker's agent: opens the sealed secret with the broker key, as the broker would. */
const brokerAgent = {
  seen: [] as string[],
  async unwrapBrokerStanza(sealed: { keyId: string; version: number; enc: Uint8Array; ciphertext: Uint8Array }, resource: string) {
    this.seen.push(resource);
    const enc = new TextEncoder();
    return hpkeOpen(
      'x25519',
      broker.secretKey,
      sealed.enc,
      enc.encode('sectorcrypt-envelope/v1 broker'),
      enc.encode(`${sealed.keyId}/${sealed.version}`),
      sealed.ciphertext,
    );
  },
};

const cases: { name: string; recipient: Recipient; identity: Identity; type: string }[] = [
  { name: 'X25519', recipient: alice.publicKey, identity: alice.secretKey, type: 'X25519' },
  { name: 'mlkem768x25519', recipient: quinn.publicKey, identity: quinn.secretKey, type: 'mlkem768x25519' },
  {
    name: 'argon2id',
    recipient: { passphrase: 'correct horse', argon2id: CHEAP },
    identity: { passphrase: 'correct horse' },
    type: 'argon2id',
  },
  { name: 'aes256-kw', recipient: { kek, keyId: kekId }, identity: { kek, keyId: kekId }, type: 'aes256-kw' },
  {
    name: 'broker',
    recipient: { broker: { keyId: 'k-123', version: 2, publicKey: broker.publicKey } },
    identity: brokerAgent,
    type: 'broker',
  },
];

describe('each recipient type alone', () => {
  for (const c of cases) {
    it(`${c.name}: one-shot, stream, reader`, async () => {
      const plain = randomPlain(40000, 3);
      const env = await encryptEnvelope(plain, { recipients: [c.recipient] });
      expect((await inspectEnvelope(env)).stanzas.map((s) => s.type)).toEqual([c.type]);
      expect(await decryptEnvelope(env, { identities: [c.identity] })).toEqual(plain);
      const streamed = await throughStream(createEnvelopeDecryptStream({ identities: [c.identity] }), env, 1000);
      expect(streamed.error).toBeUndefined();
      expect(streamed.output).toEqual(plain);
      const reader = await openEnvelopeReader(env, { identities: [c.identity] });
      expect(reader.size).toBe(plain.length);
      expect(await reader.read(16000, 1000)).toEqual(plain.subarray(16000, 17000));
      await reader.close();
    });
  }

  it('the broker identity is asked with the envelope resource (envelope: + the payload salt)', async () => {
    const env = await encryptEnvelope(new Uint8Array(10), { recipients: [cases[4].recipient] });
    const secrets = await envelopeBrokerSecrets(env);
    expect(secrets.sealed).toHaveLength(1);
    expect(secrets.sealed[0]).toMatchObject({ index: 0, keyId: 'k-123', version: 2 });
    expect(secrets.sealed[0].enc).toHaveLength(32);
    const header = (await inspectEnvelope(env)).headerBytes;
    expect(secrets.resource).toBe(
      `envelope:${Buffer.from(env.subarray(header, header + 24))
        .toString('base64')
        .replace(/=+$/, '')}`,
    );
    brokerAgent.seen.length = 0;
    await decryptEnvelope(env, { identities: [brokerAgent] });
    expect(brokerAgent.seen).toEqual([secrets.resource]);
  });

  it('the default argon2id cost (64 MiB, 3 passes, 4 lanes) round-trips', async () => {
    const env = await encryptEnvelope(new Uint8Array([1, 2, 3]), { recipients: [{ passphrase: 'p' }] });
    expect((await inspectEnvelope(env)).stanzas[0].args.slice(1)).toEqual(['65536', '3', '4']);
    expect(await decryptEnvelope(env, { identities: [{ passphrase: 'p' }] })).toEqual(new Uint8Array([1, 2, 3]));
  });
});

describe('a mix of recipients', () => {
  const recipients = cases.map((c) => c.recipient);

  it('each identity alone opens it, through every path; from a file too', async () => {
    const plain = randomPlain(3 * 16384 + 5, 9);
    const env = await encryptEnvelope(plain, { recipients });
    const file = path.join(dir, 'mix.sce');
    writeFileSync(file, env);
    for (const c of cases) {
      expect(await decryptEnvelope(env, { identities: [c.identity] })).toEqual(plain);
      const reader = await openEnvelopeReader(file, { identities: [c.identity] });
      expect(await reader.read(0, plain.length)).toEqual(plain);
      await reader.close();
    }
    // Several identities, only one of them right.
    expect(await decryptEnvelope(env, { identities: [bob.secretKey, { passphrase: 'wrong' }, quinn.secretKey] })).toEqual(plain);
  });

  it('stream encryption gives an envelope every path opens, for sizes around the chunk edges', async () => {
    for (const size of [0, 1, 16383, 16384, 16385, 200000]) {
      const plain = randomPlain(size, size + 1);
      const enc = await throughStream(createEnvelopeEncryptStream({ recipients }), plain, 7777);
      expect(enc.error).toBeUndefined();
      expect(await decryptEnvelope(enc.output, { identities: [alice.secretKey] })).toEqual(plain);
      const dec = await throughStream(createEnvelopeDecryptStream({ identities: [{ kek }] }), enc.output, 5000);
      expect(dec.error).toBeUndefined();
      expect(dec.output).toEqual(plain);
    }
  });

  it('Web streams', async () => {
    const plain = randomPlain(50000, 4);
    const body = new Blob([plain]).stream().pipeThrough(createEnvelopeEncryptWebStream({ recipients: [alice.publicKey] }));
    const env = new Uint8Array(await new Response(body).arrayBuffer());
    const back = new Blob([env]).stream().pipeThrough(createEnvelopeDecryptWebStream({ identities: [alice.secretKey] }));
    expect(new Uint8Array(await new Response(back).arrayBuffer())).toEqual(plain);
  });
});

describe('argument checks', () => {
  it('unknown option keys and bad recipients are ERR_ARGUMENT', async () => {
    await expect(encryptEnvelope(new Uint8Array(1), { recipients: [alice.publicKey], extra: 1 } as never)).rejects.toThrow(/ERR_ARGUMENT/);
    await expect(encryptEnvelope(new Uint8Array(1), { recipients: [] })).rejects.toThrow(/ERR_ARGUMENT/);
    await expect(encryptEnvelope(new Uint8Array(1), { recipients: ['scx1nope'] })).rejects.toThrow(/ERR_ARGUMENT/);
    await expect(encryptEnvelope(new Uint8Array(1), { recipients: [{ passphrase: 'x', cost: 1 } as never] })).rejects.toThrow(
      /ERR_ARGUMENT/,
    );
    await expect(encryptEnvelope(new Uint8Array(1), { recipients: [{ kek: new Uint8Array(16), keyId: 'a' }] })).rejects.toThrow(
      /ERR_KEY_LENGTH/,
    );
    await expect(encryptEnvelope(new Uint8Array(1), { recipients: [{ kek, keyId: 'has space' }] })).rejects.toThrow(/ERR_ARGUMENT/);
    await expect(decryptEnvelope(new Uint8Array(1), { identities: [alice.publicKey] })).rejects.toThrow(/ERR_ARGUMENT/);
    expect(() => createEnvelopeDecryptStream({ identities: [{ kek, keyId: 'a', x: 1 } as never] })).toThrow(/ERR_ARGUMENT/);
    // A secret key string never appears in an error message.
    const err = await decryptEnvelope(new Uint8Array(1), { identities: [alice.secretKey.slice(0, -1) + 'Q'] }).catch((e: Error) => e);
    expect(String((err as Error).message)).not.toContain(alice.secretKey.slice(25, 40));
  });
});

describe('streams destroyed part way', () => {
  it('a decrypt stream destroyed inside the header, and an encrypt stream destroyed before any input, end quietly', async () => {
    const dec = createEnvelopeDecryptStream({ identities: [alice.secretKey] });
    dec.write(new TextEncoder().encode('sectorcrypt-envelope/v1\n-> X25519 '));
    dec.destroy();
    await new Promise((resolve) => dec.once('close', resolve));
    const enc = createEnvelopeEncryptStream({ recipients: [alice.publicKey] });
    enc.destroy();
    await new Promise((resolve) => enc.once('close', resolve));
    // After the header: destroyed with an error, it reports that error.
    const env = await encryptEnvelope(randomPlain(100000), { recipients: [alice.publicKey] });
    const mid = createEnvelopeDecryptStream({ identities: [alice.secretKey] });
    const failed = new Promise((resolve) => mid.once('error', resolve));
    mid.write(env.subarray(0, 50000));
    setTimeout(() => mid.destroy(new Error('stop')), 10);
    expect(String(await failed)).toContain('stop');
  });
});
