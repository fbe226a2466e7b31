/**
 * The node:crypto primitives under @hpke/core (src/keys/hpke-node.ts), against RFC 9180
 * appendix A.1.1 (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode) and
 * against the library's stock WebCrypto primitives on random inputs, both ways.
 */
import { describe, expect, test } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Aes128Gcm, Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { NodeAesGcm, NodeHkdfSha256, nodeDhkemX25519 } from '../src/keys/hpke-node.js';
import { hpkeOpenWith, hpkeSeal, hpkeX25519Recipient } from '../src/keys/hpke.js';

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: ArrayBuffer | Uint8Array) => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');
const ab = (b: Uint8Array) => b.slice().buffer;

// RFC 9180 appendix A.1.1, and A.1.1.1's encryption with sequence number 0.
const A11 = {
  info: '4f6465206f6e2061204772656369616e2055726e',
  ikmE: '7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234',
  pkEm: '37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431',
  ikmR: '6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037',
  skRm: '4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8',
  pkRm: '3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d',
  pt: '4265617574792069732074727574682c20747275746820626561757479',
  aad: '436f756e742d30',
  ct: 'f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a',
};

const suites = {
  stock: (aes: 128 | 256) =>
    new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: aes === 128 ? new Aes128Gcm() : new Aes256Gcm() }),
  node: (aes: 128 | 256) => new CipherSuite({ kem: nodeDhkemX25519(), kdf: new NodeHkdfSha256(), aead: new NodeAesGcm(aes) }),
};

describe.each(Object.entries(suites))('RFC 9180 A.1.1 on the %s primitives', (_name, make) => {
  test('DeriveKeyPair, the sender (with ikmE), and the recipient', async () => {
    const s = make(128);
    const recipient = await s.kem.deriveKeyPair(ab(hex(A11.ikmR)));
    expect(toHex(await s.kem.serializePublicKey(recipient.publicKey))).toBe(A11.pkRm);
    expect(toHex(await s.kem.serializePrivateKey(recipient.privateKey))).toBe(A11.skRm);
    const pkR = await s.kem.deserializePublicKey(ab(hex(A11.pkRm)));
    const sender = await s.createSenderContext({ recipientPublicKey: pkR, info: ab(hex(A11.info)), ekm: ab(hex(A11.ikmE)) });
    expect(toHex(sender.enc)).toBe(A11.pkEm);
    expect(toHex(await sender.seal(ab(hex(A11.pt)), ab(hex(A11.aad))))).toBe(A11.ct);
    const skR = await s.kem.deserializePrivateKey(ab(hex(A11.skRm)));
    const opened = await s.open({ recipientKey: skR, enc: ab(hex(A11.pkEm)), info: ab(hex(A11.info)) }, ab(hex(A11.ct)), ab(hex(A11.aad)));
    expect(toHex(opened)).toBe(A11.pt);
  });
});

test('the node and stock primitives agree both ways on random inputs (AES-256-GCM, the suite sectorcrypt uses)', async () => {
  const [stock, node] = [suites.stock(256), suites.node(256)];
  for (let i = 0; i < 40; i++) {
    const [from, to] = i % 2 ? [stock, node] : [node, stock];
    const pair = await to.kem.generateKeyPair();
    const pk = await from.kem.deserializePublicKey(await to.kem.serializePublicKey(pair.publicKey));
    const info = randomBytes(i % 7 ? 16 : 0),
      aad = randomBytes(i % 5),
      pt = randomBytes(i * 13);
    const { enc, ct } = await from.seal({ recipientPublicKey: pk, info: ab(info) }, ab(pt), ab(aad));
    const opened = await to.open({ recipientKey: pair, enc, info: ab(info) }, ct, ab(aad));
    expect(toHex(opened)).toBe(toHex(pt));
    // One flipped bit anywhere is refused.
    const bad = new Uint8Array(ct);
    bad[i % bad.length]! ^= 1;
    await expect(to.open({ recipientKey: pair, enc, info: ab(info) }, bad.buffer, ab(aad))).rejects.toThrow();
  }
});

test('a recipient held as a key object opens what hpkeSeal sealed to its public key; a fresh one has no raw secret', async () => {
  const r = hpkeX25519Recipient();
  expect(Object.keys(r)).toEqual(['pair', 'publicKey']);
  const info = new TextEncoder().encode('i'),
    aad = new TextEncoder().encode('a');
  const sealed = await hpkeSeal('x25519', r.publicKey, info, aad, new Uint8Array([1, 2, 3]));
  expect(await hpkeOpenWith(r, sealed.enc, info, aad, sealed.ciphertext)).toEqual(new Uint8Array([1, 2, 3]));
  await expect(hpkeOpenWith(hpkeX25519Recipient(), sealed.enc, info, aad, sealed.ciphertext)).rejects.toThrow(/ERR_AUTH/);
  // Imported from the RFC's secret key, it derives the RFC's public key.
  expect(toHex(hpkeX25519Recipient(hex(A11.skRm)).publicKey)).toBe(A11.pkRm);
  expect(() => hpkeX25519Recipient(new Uint8Array(31))).toThrow(/ERR_ARGUMENT/);
});
