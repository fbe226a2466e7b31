/**
 * Writes the envelope known-answer files (envelope-v1.json, envelope-v1.sce) from fixed
 * inputs, by a path independent of src/: node:crypto for X25519, HKDF, HMAC, AES-KW and
 * AES-GCM, @noble/hashes for argon2id (src/ uses hash-wasm), and an HPKE base-mode seal
 * written here from RFC 9180 that must first reproduce RFC 9180 appendix A.1.1. Only the
 * mlkem768x25519 stanza comes from the HPKE library (a regression value, not independent).
 *
 *   npx tsx test/vectors/envelope/generate.ts
 *
 * Run once; the outputs are committed. Rerunning changes only the mlkem768x25519 stanza.
 */
import { createCipheriv, createHash, createHmac, createPrivateKey, createPublicKey, diffieHellman, hkdfSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { argon2id } from '@noble/hashes/argon2.js';
import { Aes256Gcm, CipherSuite, HkdfSha256 } from '@hpke/core';
import { XWing } from '@hpke/hybridkem-x-wing';

const here = path.dirname(fileURLToPath(import.meta.url));
const hex = (s: string) => Buffer.from(s, 'hex');
const ascii = (s: string) => Buffer.from(s, 'latin1');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest();
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64').replace(/=+$/, '');
const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);

// --- X25519 through node:crypto key objects (RFC 8410 DER wrappers around the raw bytes).
const x25519Private = (raw: Uint8Array) => createPrivateKey({ key: Buffer.concat([hex('302e020100300506032b656e04220420'), raw]), format: 'der', type: 'pkcs8' });
const x25519Public = (raw: Uint8Array) => createPublicKey({ key: Buffer.concat([hex('302a300506032b656e032100'), raw]), format: 'der', type: 'spki' });
const publicOf = (sk: Uint8Array) => createPublicKey(x25519Private(sk)).export({ format: 'der', type: 'spki' }).subarray(12);

// --- HKDF (RFC 5869) with HMAC from node:crypto.
function extract(hash: string, salt: Uint8Array, ikm: Uint8Array): Buffer {
  return createHmac(hash, salt.length ? salt : Buffer.alloc(hash === 'sha256' ? 32 : 64)).update(ikm).digest();
}
function expand(hash: string, prk: Uint8Array, info: Uint8Array, length: number): Buffer {
  const blocks: Buffer[] = [];
  let t = Buffer.alloc(0);
  for (let i = 1; Buffer.concat(blocks).length < length; i++) {
    t = createHmac(hash, prk).update(Buffer.concat([t, info, Buffer.from([i])])).digest();
    blocks.push(t);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

// --- HPKE base mode, single shot (RFC 9180 sections 4.1, 5.1, 6.1), DHKEM(X25519, HKDF-SHA256), HKDF-SHA256.
function hpkeSealX25519(aead: 'aes-128-gcm' | 'aes-256-gcm', skE: Uint8Array, pkR: Uint8Array, info: Uint8Array, aad: Uint8Array, pt: Uint8Array) {
  const kemSuite = Buffer.concat([ascii('KEM'), u16(0x0020)]);
  const aeadId = aead === 'aes-128-gcm' ? 1 : 2;
  const nk = aead === 'aes-128-gcm' ? 16 : 32;
  const suite = Buffer.concat([ascii('HPKE'), u16(0x0020), u16(1), u16(aeadId)]);
  const labeledExtract = (id: Buffer, salt: Uint8Array, label: string, ikm: Uint8Array) => extract('sha256', salt, Buffer.concat([ascii('HPKE-v1'), id, ascii(label), ikm]));
  const labeledExpand = (id: Buffer, prk: Uint8Array, label: string, inf: Uint8Array, n: number) => expand('sha256', prk, Buffer.concat([u16(n), ascii('HPKE-v1'), id, ascii(label), inf]), n);
  const dh = diffieHellman({ privateKey: x25519Private(skE), publicKey: x25519Public(pkR) });
  const enc = publicOf(skE);
  const sharedSecret = labeledExpand(kemSuite, labeledExtract(kemSuite, Buffer.alloc(0), 'eae_prk', dh), 'shared_secret', Buffer.concat([enc, pkR]), 32);
  const context = Buffer.concat([Buffer.from([0]), labeledExtract(suite, Buffer.alloc(0), 'psk_id_hash', Buffer.alloc(0)), labeledExtract(suite, Buffer.alloc(0), 'info_hash', info)]);
  const secret = labeledExtract(suite, sharedSecret, 'secret', Buffer.alloc(0));
  const key = labeledExpand(suite, secret, 'key', context, nk);
  const baseNonce = labeledExpand(suite, secret, 'base_nonce', context, 12);
  const cipher = createCipheriv(aead, key, baseNonce).setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(pt), cipher.final(), cipher.getAuthTag()]);
  return { enc, sharedSecret, baseNonce, ciphertext };
}

// RFC 9180 A.1.1 (the suite with AES-128-GCM): the HPKE code above must reproduce it first.
const A11 = {
  skEm: hex('52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736'),
  skRm: hex('4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8'),
  pkRm: hex('3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d'),
  info: hex('4f6465206f6e2061204772656369616e2055726e'),
  enc: '37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431',
  sharedSecret: 'fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc',
  baseNonce: '56d890e5accaaf011cff4b7d',
  ct0: 'f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a',
};
{
  if (publicOf(A11.skRm).toString('hex') !== A11.pkRm.toString('hex')) throw new Error('X25519 public key does not match A.1.1');
  const got = hpkeSealX25519('aes-128-gcm', A11.skEm, A11.pkRm, A11.info, ascii('Count-0'), ascii('Beauty is truth, truth beauty'));
  const ok = got.enc.toString('hex') === A11.enc && got.sharedSecret.toString('hex') === A11.sharedSecret && got.baseNonce.toString('hex') === A11.baseNonce && got.ciphertext.toString('hex') === A11.ct0;
  if (!ok) throw new Error('the HPKE code does not reproduce RFC 9180 A.1.1');
}

// --- The envelope's fixed inputs.
const LABEL = 'sectorcrypt-envelope/v1';
const fileKey = hex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
const payloadSaltFull = hex('f0e1d2c3b4a5968778695a4b3c2d1e0f0011223344556677'); // 24 bytes
const plaintext = Buffer.alloc(2 * 16384 + 1000).map((_, i) => (i * 31 + 7) & 0xff);
const passphrase = 'correct horse battery staple';
const argonSalt = hex('a0a1a2a3a4a5a6a7a8a9aaabacadaeaf');
const argonCost = { m: 1024, t: 2, p: 1 };
const kek = hex('6b656b2d6b656b2d6b656b2d6b656b2d6b656b2d6b656b2d6b656b2d6b656b2d');
const kekId = 'kms:prod/backup-1';
const brokerSk = sha256(ascii('sectorcrypt test broker key'));
const brokerEphemeral = sha256(ascii('sectorcrypt test broker ephemeral'));
const broker = { keyId: 'bk-01', version: 3 };
const xwingSeed = sha256(ascii('sectorcrypt test x-wing seed'));

function stanza(type: string, args: string[], body: Uint8Array): Buffer {
  const text = b64(body);
  const lines = [['->', type, ...args].join(' ')];
  for (let i = 0; i <= text.length; i += 64) lines.push(text.slice(i, i + 64));
  return ascii(lines.join('\n') + '\n');
}

async function main() {
  const stanzas: { type: string; args: string[]; body: Buffer }[] = [];
  // 0: X25519, to A.1.1's recipient key with A.1.1's ephemeral key.
  const x = hpkeSealX25519('aes-256-gcm', A11.skEm, A11.pkRm, ascii(`${LABEL} X25519`), Buffer.alloc(0), fileKey);
  stanzas.push({ type: 'X25519', args: [b64(x.enc)], body: x.ciphertext });
  // 1: mlkem768x25519, from the HPKE library (regression value).
  const suite = new CipherSuite({ kem: new XWing(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
  const pair = await suite.kem.deriveKeyPair(xwingSeed.buffer.slice(xwingSeed.byteOffset, xwingSeed.byteOffset + 32) as ArrayBuffer);
  const xwingPublic = new Uint8Array(await suite.kem.serializePublicKey(pair.publicKey));
  const xwingSecret = new Uint8Array(await suite.kem.serializePrivateKey(pair.privateKey));
  const pq = await suite.seal({ recipientPublicKey: pair.publicKey, info: ascii(`${LABEL} mlkem768x25519`) }, fileKey);
  stanzas.push({ type: 'mlkem768x25519', args: [b64(new Uint8Array(pq.enc))], body: Buffer.from(pq.ct) });
  // 2: argon2id (RFC 9106, version 0x13) and AES-256-GCM with a zero nonce.
  const wrapKey = argon2id(ascii(passphrase), argonSalt, { m: argonCost.m, t: argonCost.t, p: argonCost.p, dkLen: 32, version: 0x13 });
  const gcm = createCipheriv('aes-256-gcm', wrapKey, Buffer.alloc(12)).setAAD(ascii(`${LABEL} argon2id`));
  stanzas.push({ type: 'argon2id', args: [b64(argonSalt), String(argonCost.m), String(argonCost.t), String(argonCost.p)], body: Buffer.concat([gcm.update(fileKey), gcm.final(), gcm.getAuthTag()]) });
  // 3: aes256-kw (RFC 3394 through OpenSSL).
  stanzas.push({ type: 'aes256-kw', args: [kekId], body: createCipheriv('id-aes256-wrap', kek, hex('a6a6a6a6a6a6a6a6')).update(fileKey) });
  // 4: broker.
  const br = hpkeSealX25519('aes-256-gcm', brokerEphemeral, publicOf(brokerSk), ascii(`${LABEL} broker`), ascii(`${broker.keyId}/${broker.version}`), fileKey);
  stanzas.push({ type: 'broker', args: [broker.keyId, String(broker.version), b64(br.enc)], body: br.ciphertext });
  // 5: a type no decoder knows (skipped, but under the MAC); a 96-byte body ends in an empty line.
  stanzas.push({ type: 'future-type', args: ['a', 'b=c'], body: Buffer.concat([sha256(ascii('a')), sha256(ascii('b')), sha256(ascii('c'))]) });

  const payloadKey = Buffer.from(hkdfSync('sha256', fileKey, Buffer.alloc(0), ascii(`${LABEL} payload`), 32));
  const macKey = Buffer.from(hkdfSync('sha256', fileKey, Buffer.alloc(0), ascii(`${LABEL} header`), 32));
  const macInput = Buffer.concat([ascii(`${LABEL}\n`), ...stanzas.map((s) => stanza(s.type, s.args, s.body)), ascii('---')]);
  const mac = createHmac('sha256', macKey).update(macInput).digest();
  const header = Buffer.concat([macInput, ascii(` ${b64(mac)}\n`)]);

  // Cobblestone-256 (c2sp.org/chunked-encryption): HKDF-Expand SHA-512, AES-256-GCM chunks of 16 KiB.
  const derived = expand('sha512', payloadKey, Buffer.concat([ascii('c2sp.org/chunked-encryption@v1+AEAD_AES_256_GCM'), Buffer.from([0]), payloadSaltFull, ascii(LABEL)]), 76);
  const [ckey, baseNonce, commitment] = [derived.subarray(0, 32), derived.subarray(32, 44), derived.subarray(44, 76)];
  const chunks: Buffer[] = [payloadSaltFull, commitment];
  for (let i = 0, start = 0; ; i++, start += 16384) {
    const chunk = plaintext.subarray(start, start + 16384);
    const nonce = Buffer.from(baseNonce);
    for (let k = 0; k < 5; k++) nonce[11 - k] ^= Math.floor(i / 256 ** k) & 0xff; // the counter, 40 bits big-endian
    const c = createCipheriv('aes-256-gcm', ckey, nonce);
    chunks.push(c.update(chunk), c.final(), c.getAuthTag());
    if (chunk.length < 16384) break;
  }
  const envelope = Buffer.concat([header, ...chunks]);
  writeFileSync(path.join(here, 'envelope-v1.sce'), envelope);
  const vectors = {
    description: 'sectorcrypt envelope v1 known answers; see test/vectors/README.md and generate.ts beside this file',
    fileKey: fileKey.toString('hex'),
    payloadKey: payloadKey.toString('hex'),
    macKey: macKey.toString('hex'),
    mac: mac.toString('hex'),
    headerBytes: header.length,
    envelopeSha256: sha256(envelope).toString('hex'),
    resource: `envelope:${b64(payloadSaltFull)}`,
    plaintext: { rule: 'byte i = (i * 31 + 7) mod 256', length: plaintext.length, sha256: sha256(plaintext).toString('hex') },
    payload: { salt: payloadSaltFull.toString('hex'), commitment: commitment.toString('hex') },
    identities: {
      x25519: { secretKey: A11.skRm.toString('hex'), publicKey: A11.pkRm.toString('hex'), ephemeral: A11.skEm.toString('hex') },
      mlkem768x25519: { seed: xwingSeed.toString('hex'), secretKey: Buffer.from(xwingSecret).toString('hex'), publicKeySha256: sha256(xwingPublic).toString('hex') },
      argon2id: { passphrase, salt: argonSalt.toString('hex'), memoryKiB: argonCost.m, passes: argonCost.t, lanes: argonCost.p, wrapKey: Buffer.from(wrapKey).toString('hex') },
      aes256kw: { kek: kek.toString('hex'), keyId: kekId },
      broker: { ...broker, secretKey: brokerSk.toString('hex'), publicKey: publicOf(brokerSk).toString('hex'), ephemeral: brokerEphemeral.toString('hex') },
    },
    stanzas: stanzas.map((s) => ({ type: s.type, args: s.args, body: s.body.toString('hex') })),
  };
  writeFileSync(path.join(here, 'envelope-v1.json'), JSON.stringify(vectors, null, 1) + '\n');
}

await main();
