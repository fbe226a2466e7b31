/**
 * Known answers (test/vectors/envelope/, made once by generate.ts beside them on an
 * independent path: node:crypto, @noble/hashes' argon2id, and an HPKE seal that reproduces
 * RFC 9180 A.1.1). The library must read them, derive the same keys, and write the same bytes
 * where its output is deterministic.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeStanza, finishHeader, macInputOf, parseHeader } from '../../src/envelope/header.js';
import { headerMac, payloadKey } from '../../src/envelope/key-schedule.js';
import { encodePublicKey, encodeSecretKey } from '../../src/envelope/key-text.js';
import { openArgon2id } from '../../src/envelope/stanzas/argon2id.js';
import { sealAes256Kw } from '../../src/envelope/stanzas/aes256-kw.js';
import { hpkeOpen } from '../../src/keys/hpke.js';
import {
  createEnvelopeDecryptStream,
  decryptEnvelope,
  envelopeBrokerSecrets,
  inspectEnvelope,
  openEnvelopeReader,
  rekeyEnvelope,
  type Identity,
} from '../../src/index.js';
import { vectorsDir } from '../vectors.js';
import { throughStream } from './helpers.js';

const dir = path.join(vectorsDir, 'envelope');
const v = JSON.parse(readFileSync(path.join(dir, 'envelope-v1.json'), 'utf8'));
const envelope = new Uint8Array(readFileSync(path.join(dir, 'envelope-v1.sce')));
const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const utf8 = (s: string) => new TextEncoder().encode(s);

const brokerIdentity = {
  async unwrapBrokerStanza(sealed: { keyId: string; version: number; enc: Uint8Array; ciphertext: Uint8Array }, resource: string) {
    expect(resource).toBe(v.resource);
    return hpkeOpen(
      'x25519',
      hex(v.identities.broker.secretKey),
      sealed.enc,
      utf8('sectorcrypt-envelope/v1 broker'),
      utf8(`${sealed.keyId}/${sealed.version}`),
      sealed.ciphertext,
    );
  },
};

const identities: [string, Identity][] = [
  ['X25519', encodeSecretKey('x25519', hex(v.identities.x25519.secretKey))],
  ['mlkem768x25519', encodeSecretKey('xwing', hex(v.identities.mlkem768x25519.secretKey))],
  ['argon2id', { passphrase: v.identities.argon2id.passphrase }],
  ['aes256-kw', { kek: hex(v.identities.aes256kw.kek), keyId: v.identities.aes256kw.keyId }],
  ['broker', brokerIdentity],
];

describe('envelope-v1 known answers', () => {
  it('the file is the one generated', () => {
    expect(sha256(envelope)).toBe(v.envelopeSha256);
  });

  it('key schedule: payload key and header MAC', () => {
    const fileKey = hex(v.fileKey);
    expect(toHex(payloadKey(fileKey))).toBe(v.payloadKey);
    const header = parseHeader(envelope);
    expect(toHex(headerMac(fileKey, header.macInput))).toBe(v.mac);
    expect(header.bytes.length).toBe(v.headerBytes);
  });

  it('the header codec reads every stanza and writes the same header bytes', () => {
    const header = parseHeader(envelope);
    expect(header.stanzas.map((s) => ({ type: s.type, args: s.args, body: toHex(s.body) }))).toEqual(v.stanzas);
    const rewritten = header.stanzas.map((s) => encodeStanza(s.type, s.args, s.body));
    const macInput = macInputOf(rewritten);
    expect(toHex(finishHeader(macInput, headerMac(hex(v.fileKey), macInput)))).toBe(toHex(header.bytes));
  });

  it('deterministic stanzas come out the same: aes256-kw, and the argon2id wrap opens', async () => {
    const kw = sealAes256Kw(hex(v.identities.aes256kw.kek), v.identities.aes256kw.keyId, hex(v.fileKey));
    expect(toHex(kw.body)).toBe(v.stanzas[3].body);
    const header = parseHeader(envelope);
    expect(toHex((await openArgon2id(utf8(v.identities.argon2id.passphrase), header.stanzas[2]))!)).toBe(v.fileKey);
  });

  it('the library HPKE (AES-256-GCM) opens the independent seal made with RFC 9180 A.1.1 keys', async () => {
    const s = v.stanzas[0];
    expect(Buffer.from(s.args[0], 'base64').toString('hex')).toBe('37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431');
    const fileKey = await hpkeOpen(
      'x25519',
      hex(v.identities.x25519.secretKey),
      new Uint8Array(Buffer.from(s.args[0], 'base64')),
      utf8('sectorcrypt-envelope/v1 X25519'),
      new Uint8Array(0),
      hex(s.body),
    );
    expect(toHex(fileKey)).toBe(v.fileKey);
    expect(encodePublicKey('x25519', hex(v.identities.x25519.publicKey))).toMatch(/^scx1/);
  });

  for (const [type, identity] of identities) {
    it(`${type} alone opens it: one-shot, stream, reader`, async () => {
      expect(sha256(await decryptEnvelope(envelope, { identities: [identity] }))).toBe(v.plaintext.sha256);
      const streamed = await throughStream(createEnvelopeDecryptStream({ identities: [identity] }), envelope, 1000);
      expect(sha256(streamed.output)).toBe(v.plaintext.sha256);
      const reader = await openEnvelopeReader(envelope, { identities: [identity] });
      expect(reader.size).toBe(v.plaintext.length);
      await reader.close();
    });
  }

  it('inspect, the broker stanza secret and resource, and a rekey that keeps the payload', async () => {
    const summary = await inspectEnvelope(envelope);
    expect(summary.stanzas.map((s) => s.type)).toEqual(['X25519', 'mlkem768x25519', 'argon2id', 'aes256-kw', 'broker', 'future-type']);
    const secrets = await envelopeBrokerSecrets(envelope);
    expect(secrets.resource).toBe(v.resource);
    expect(secrets.sealed[0]).toMatchObject({ index: 4, keyId: 'bk-01', version: 3 });
    const out = (await rekeyEnvelope(envelope, { identities: [identities[3][1]], remove: [0, 1, 2, 4] })) as Uint8Array;
    expect(toHex(out.subarray(out.length - summary.payloadBytes))).toBe(toHex(envelope.subarray(summary.headerBytes)));
    expect((await inspectEnvelope(out)).stanzas.map((s) => s.type)).toEqual(['aes256-kw', 'future-type']);
  });
});
