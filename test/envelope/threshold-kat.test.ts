/**
 * Threshold-group known answers (test/vectors/envelope/envelope-threshold-v1.*, made by
 * generate-threshold.ts beside them without the library): every pair of the four members opens
 * the envelope on every backend, one member alone does not, a share of another polynomial is
 * refused by the MAC, and malformed groups are refused before any key work.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeStanza, finishHeader, macInputOf, parseHeader } from '../../src/envelope/header.js';
import { headerMac, payloadKey } from '../../src/envelope/key-schedule.js';
import { encodeSecretKey } from '../../src/envelope/key-text.js';
import { hpkeOpen } from '../../src/keys/hpke.js';
import { gfMul, interpolate } from '../../src/keys/shamir.js';
import { createEnvelopeDecryptStream, decryptEnvelope, inspectEnvelope, openEnvelopeReader, type Identity } from '../../src/index.js';
import { testBackends } from '../backends.js';
import { vectorsDir } from '../vectors.js';
import { throughStream } from './helpers.js';

const dir = path.join(vectorsDir, 'envelope');
const v = JSON.parse(readFileSync(path.join(dir, 'envelope-threshold-v1.json'), 'utf8'));
const envelope = new Uint8Array(readFileSync(path.join(dir, 'envelope-threshold-v1.sce')));
const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');
const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

/** A stand-in for a broker agent: opens with the vector's broker key, and records the resources asked. */
function fakeBroker(b: { keyId: string; version: number; url: string; secretKey: string }, asked: string[] = [], url: string = b.url) {
  return {
    url,
    async unwrapBrokerStanza(sealed: { keyId: string; version: number; enc: Uint8Array; ciphertext: Uint8Array }, resource: string) {
      asked.push(resource);
      expect(sealed.keyId).toBe(b.keyId);
      return hpkeOpen(
        'x25519',
        hex(b.secretKey),
        sealed.enc,
        utf8('sectorcrypt-envelope/v1 broker'),
        utf8(`${sealed.keyId}/${sealed.version}`),
        sealed.ciphertext,
      );
    },
  };
}

const asked: string[] = [];
const members: [string, Identity][] = [
  ['X25519', encodeSecretKey('x25519', hex(v.identities.x25519.secretKey))],
  ['broker A', fakeBroker(v.identities.brokerA, asked)],
  ['broker B', fakeBroker(v.identities.brokerB, asked)],
  ['aes256-kw', { kek: hex(v.identities.aes256kw.kek), keyId: v.identities.aes256kw.keyId }],
];

describe('envelope threshold group known answers', () => {
  it('the file is the one generated; key schedule and header bytes', () => {
    expect(sha256(envelope)).toBe(v.envelopeSha256);
    const header = parseHeader(envelope);
    expect(toHex(payloadKey(hex(v.fileKey)))).toBe(v.payloadKey);
    expect(toHex(headerMac(hex(v.fileKey), header.macInput))).toBe(v.mac);
    expect(header.stanzas.map((s) => ({ type: s.type, args: s.args, body: toHex(s.body) }))).toEqual(v.stanzas);
    const macInput = macInputOf(header.stanzas.map((s) => encodeStanza(s.type, s.args, s.body)));
    expect(toHex(finishHeader(macInput, headerMac(hex(v.fileKey), macInput)))).toBe(toHex(header.bytes));
  });

  it('GF(2^8): FIPS 197 section 4.2 products; the shares combine to the file key, and give each other', () => {
    expect(gfMul(0x57, 0x83)).toBe(0xc1);
    expect(gfMul(0x57, 0x13)).toBe(0xfe);
    const shares = v.shares.map((s: { index: number; value: string }) => ({ index: s.index, value: hex(s.value) }));
    for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) expect(toHex(interpolate([shares[i], shares[j]]))).toBe(v.fileKey);
    expect(toHex(interpolate([shares[0], shares[1]], 4))).toBe(v.shares[3].value);
    // One share alone is not the key.
    expect(toHex(interpolate([shares[2]]))).not.toBe(v.fileKey);
  });

  for (const backend of testBackends()) {
    it(`every pair of members opens it (${backend})`, async () => {
      for (let i = 0; i < 4; i++)
        for (let j = i + 1; j < 4; j++) {
          const out = await decryptEnvelope(envelope, { identities: [members[i][1], members[j][1]], backend });
          expect(sha256(out), `${members[i][0]} + ${members[j][0]}`).toBe(v.plaintext.sha256);
        }
    });
  }

  it('stream and reader open it too; brokers are asked with the share resource names', async () => {
    asked.length = 0;
    const pair = [members[1][1], members[2][1]];
    const streamed = await throughStream(createEnvelopeDecryptStream({ identities: pair }), envelope, 100);
    expect(sha256(streamed.output)).toBe(v.plaintext.sha256);
    const reader = await openEnvelopeReader(envelope, { identities: pair });
    expect(reader.size).toBe(v.plaintext.length);
    await reader.close();
    expect(new Set(asked)).toEqual(new Set([v.shareResources[1], v.shareResources[2]]));
  });

  it('one member alone: ERR_THRESHOLD naming each other member', async () => {
    const err = await decryptEnvelope(envelope, { identities: [members[0][1]] }).catch((e) => e);
    expect(err.code).toBe('ERR_THRESHOLD');
    expect(err.message).toContain(`needs 2 of 4 shares and got 1`);
    expect(err.message).toContain('share 2 (broker key key_a/1 at https://broker-a.example:8443): no identity given for it');
    expect(err.message).toContain('share 4 (aes256-kw): no identity given for it');
    expect(err.members.map((m: { index: number }) => m.index)).toEqual([2, 3, 4]);
  });

  it('a broker member is asked only of the identity of its broker (the URL hint)', async () => {
    const wrongPlace: string[] = [];
    const rightPlace: string[] = [];
    const elsewhere = fakeBroker(v.identities.brokerA, wrongPlace, 'https://broker-c.example');
    const a = fakeBroker(v.identities.brokerA, rightPlace);
    const out = await decryptEnvelope(envelope, { identities: [members[0][1], elsewhere, a] });
    expect(sha256(out)).toBe(v.plaintext.sha256);
    expect(wrongPlace).toEqual([]);
    expect(rightPlace).toEqual([v.shareResources[1]]);
    // An identity of another broker alone: never asked, and the member says so.
    const err = await decryptEnvelope(envelope, { identities: [members[0][1], elsewhere] }).catch((e) => e);
    expect(err.code).toBe('ERR_THRESHOLD');
    expect(err.message).toContain('share 2 (broker key key_a/1 at https://broker-a.example:8443): no identity given for it');
    expect(wrongPlace).toEqual([]);
  });

  it('done at k: a member still waiting for approval is withdrawn, not awaited', async () => {
    let withdrawn = 0;
    let release: (err: Error) => void = () => {};
    const waiting = {
      url: v.identities.brokerA.url,
      unwrapBrokerStanza: () => new Promise<Uint8Array>((_, reject) => (release = reject)),
      async withdrawWaiting() {
        withdrawn++;
        release(new Error('withdrawn'));
        return [];
      },
    };
    const out = await decryptEnvelope(envelope, { identities: [waiting, members[0][1], members[3][1]] });
    expect(sha256(out)).toBe(v.plaintext.sha256);
    expect(withdrawn).toBe(1);
  });

  it('inspect lists the group', async () => {
    const s = await inspectEnvelope(envelope);
    expect(s.groups).toEqual([
      {
        stanza: 0,
        groupId: v.group.groupId,
        k: 2,
        n: 4,
        members: [
          { stanza: 1, share: 1, type: 'X25519' },
          { stanza: 2, share: 2, type: 'broker', url: 'https://broker-a.example:8443' },
          { stanza: 3, share: 3, type: 'broker', url: 'https://broker-b.example:8443' },
          { stanza: 4, share: 4, type: 'aes256-kw' },
        ],
      },
    ]);
  });

  it('a share of another polynomial in place of share 2 is refused by the MAC, whichever pair opens', async () => {
    const header = parseHeader(envelope);
    const f = v.foreignShare2;
    const changed = text(header.bytes).replace(text(header.stanzas[2].raw), text(encodeStanza(f.type, f.args, hex(f.body))));
    const swapped = new Uint8Array(Buffer.concat([bytes(changed), envelope.subarray(header.bytes.length)]));
    expect(parseHeader(swapped).stanzas[2].args[0]).toBe(v.group.groupId);
    for (const pair of [
      [0, 1],
      [0, 3],
    ]) {
      const err = await decryptEnvelope(swapped, { identities: pair.map((i) => members[i][1]) }).catch((e) => e);
      expect(err.code).toBe('ERR_AUTH');
    }
  });

  const group = `-> threshold ${v.group.groupId} 2 4\n`;
  const cases: [string, (h: string) => string][] = [
    ['k above n', (h) => h.replace(group, `-> threshold ${v.group.groupId} 5 4\n`)],
    ['k of zero', (h) => h.replace(group, `-> threshold ${v.group.groupId} 0 4\n`)],
    ['n that does not match the shares', (h) => h.replace(group, `-> threshold ${v.group.groupId} 2 3\n`)],
    ['a leading zero', (h) => h.replace(group, `-> threshold ${v.group.groupId} 02 4\n`)],
    ['an upper-case group id', (h) => h.replace(group, `-> threshold ${v.group.groupId.toUpperCase()} 2 4\n`)],
    ['a share index twice', (h) => h.replace(`${v.group.groupId} 4 - aes256-kw`, `${v.group.groupId} 1 - aes256-kw`)],
    ['a share index of 256', (h) => h.replace(`${v.group.groupId} 4 - aes256-kw`, `${v.group.groupId} 256 - aes256-kw`)],
    ['a share of an undeclared group', (h) => h.replace(`share ${v.group.groupId} 4`, `share ${'0'.repeat(32)} 4`)],
    ['a nested group', (h) => h.replace(`${v.group.groupId} 4 - aes256-kw escrow/kek-1`, `${v.group.groupId} 4 - threshold a`)],
    ['a hint that is not https', (h) => h.replace('https://broker-a.example:8443', 'http://broker-a.example')],
    ['a malformed member (broker without its key)', (h) => h.replace(' broker key_a 1 ', ' broker 1 ')],
  ];
  for (const [name, change] of cases) {
    it(`refuses ${name} with ERR_CORRUPT_HEADER`, async () => {
      const header = parseHeader(envelope);
      const changed = change(text(header.bytes));
      expect(changed).not.toBe(text(header.bytes));
      const crafted = new Uint8Array(Buffer.concat([bytes(changed), envelope.subarray(header.bytes.length)]));
      const err = await decryptEnvelope(crafted, { identities: members.map((m) => m[1]) }).catch((e) => e);
      expect(err.code).toBe('ERR_CORRUPT_HEADER');
    });
  }
});
