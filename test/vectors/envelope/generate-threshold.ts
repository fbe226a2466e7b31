/**
 * Writes the threshold-group known-answer files (envelope-threshold-v1.json and .sce) from
 * fixed inputs, without importing src/: node:crypto for X25519, HKDF, HMAC, AES-KW and AES-GCM,
 * an HPKE base-mode seal written here from RFC 9180 (checked against its appendix A.1.1 first),
 * and Shamir's scheme over GF(2^8) with the AES polynomial written here with log/antilog tables
 * (src/keys/shamir.ts multiplies bit by bit), checked against FIPS 197 section 4.2's examples.
 *
 *   npx tsx test/vectors/envelope/generate-threshold.ts
 *
 * Every output is deterministic: rerunning writes the same bytes.
 */
import { createCipheriv, createHash, createHmac, createPrivateKey, createPublicKey, diffieHellman, hkdfSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const hex = (s: string) => Buffer.from(s, 'hex');
const ascii = (s: string) => Buffer.from(s, 'latin1');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest();
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64').replace(/=+$/, '');
const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);

// --- GF(2^8) mod x^8 + x^4 + x^3 + x + 1 (0x11b), by tables over the generator 0x03.
const EXP = new Uint8Array(510);
const LOG = new Uint8Array(256);
for (let i = 0, v = 1; i < 255; i++) {
  EXP[i] = EXP[i + 255] = v;
  LOG[v] = i;
  v ^= (v << 1) ^ (v & 0x80 ? 0x11b : 0); // v * 3 = v * 2 + v, reduced
}
const mul = (a: number, b: number) => (a === 0 || b === 0 ? 0 : EXP[LOG[a] + LOG[b]]);
const div = (a: number, b: number) => (a === 0 ? 0 : EXP[LOG[a] + 255 - LOG[b]]);
// FIPS 197 section 4.2: {57} x {83} = {c1}; section 4.2.1: {57} x {13} = {fe}.
if (mul(0x57, 0x83) !== 0xc1 || mul(0x57, 0x13) !== 0xfe) throw new Error('GF(2^8) tables do not match FIPS 197');

/** Share x of the polynomials secret[b] + c1[b] x + c2[b] x^2 + ... (coefficients[j] is c_{j+1}). */
function shareAt(secret: Uint8Array, coefficients: Uint8Array[], x: number): Buffer {
  const out = Buffer.alloc(secret.length);
  for (let b = 0; b < secret.length; b++) {
    let y = secret[b];
    let power = 1;
    for (const c of coefficients) {
      power = mul(power, x);
      y ^= mul(c[b], power);
    }
    out[b] = y;
  }
  return out;
}

/** Lagrange at 0: the secret from k shares. */
function combine(shares: { x: number; y: Uint8Array }[]): Buffer {
  const out = Buffer.alloc(shares[0].y.length);
  for (const s of shares) {
    let w = 1;
    for (const o of shares) if (o !== s) w = mul(w, div(o.x, o.x ^ s.x));
    for (let b = 0; b < out.length; b++) out[b] ^= mul(s.y[b], w);
  }
  return out;
}

// --- X25519 through node:crypto key objects (RFC 8410 DER wrappers around the raw bytes).
const x25519Private = (raw: Uint8Array) =>
  createPrivateKey({ key: Buffer.concat([hex('302e020100300506032b656e04220420'), raw]), format: 'der', type: 'pkcs8' });
const x25519Public = (raw: Uint8Array) => createPublicKey({ key: Buffer.concat([hex('302a300506032b656e032100'), raw]), format: 'der', type: 'spki' });
const publicOf = (sk: Uint8Array) => createPublicKey(x25519Private(sk)).export({ format: 'der', type: 'spki' }).subarray(12);

function extract(hash: string, salt: Uint8Array, ikm: Uint8Array): Buffer {
  return createHmac(hash, salt.length ? salt : Buffer.alloc(hash === 'sha256' ? 32 : 64))
    .update(ikm)
    .digest();
}
function expand(hash: string, prk: Uint8Array, info: Uint8Array, length: number): Buffer {
  const blocks: Buffer[] = [];
  let t = Buffer.alloc(0);
  for (let i = 1; Buffer.concat(blocks).length < length; i++) {
    t = createHmac(hash, prk)
      .update(Buffer.concat([t, info, Buffer.from([i])]))
      .digest();
    blocks.push(t);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

// --- HPKE base mode, single shot (RFC 9180 sections 4.1, 5.1, 6.1), DHKEM(X25519, HKDF-SHA256).
function hpkeSeal(aeadId: 1 | 2, skE: Uint8Array, pkR: Uint8Array, info: Uint8Array, aad: Uint8Array, pt: Uint8Array) {
  const kemSuite = Buffer.concat([ascii('KEM'), u16(0x0020)]);
  const nk = aeadId === 1 ? 16 : 32;
  const suite = Buffer.concat([ascii('HPKE'), u16(0x0020), u16(1), u16(aeadId)]);
  const lx = (id: Buffer, salt: Uint8Array, label: string, ikm: Uint8Array) => extract('sha256', salt, Buffer.concat([ascii('HPKE-v1'), id, ascii(label), ikm]));
  const le = (id: Buffer, prk: Uint8Array, label: string, inf: Uint8Array, n: number) =>
    expand('sha256', prk, Buffer.concat([u16(n), ascii('HPKE-v1'), id, ascii(label), inf]), n);
  const dh = diffieHellman({ privateKey: x25519Private(skE), publicKey: x25519Public(pkR) });
  const enc = publicOf(skE);
  const shared = le(kemSuite, lx(kemSuite, Buffer.alloc(0), 'eae_prk', dh), 'shared_secret', Buffer.concat([enc, pkR]), 32);
  const empty = Buffer.alloc(0);
  const context = Buffer.concat([Buffer.from([0]), lx(suite, empty, 'psk_id_hash', empty), lx(suite, empty, 'info_hash', info)]);
  const secret = lx(suite, shared, 'secret', empty);
  const cipher = createCipheriv(aeadId === 1 ? 'aes-128-gcm' : 'aes-256-gcm', le(suite, secret, 'key', context, nk), le(suite, secret, 'base_nonce', context, 12));
  cipher.setAAD(aad);
  return { enc, ciphertext: Buffer.concat([cipher.update(pt), cipher.final(), cipher.getAuthTag()]) };
}
{
  // RFC 9180 A.1.1 (AES-128-GCM): enc and the first ciphertext.
  const got = hpkeSeal(
    1,
    hex('52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736'),
    hex('3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d'),
    hex('4f6465206f6e2061204772656369616e2055726e'),
    ascii('Count-0'),
    ascii('Beauty is truth, truth beauty'),
  );
  if (
    got.enc.toString('hex') !== '37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431' ||
    got.ciphertext.toString('hex') !== 'f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a'
  )
    throw new Error('the HPKE code does not reproduce RFC 9180 A.1.1');
}

// --- Fixed inputs.
const LABEL = 'sectorcrypt-envelope/v1';
const derive = (label: string) => sha256(ascii(`sectorcrypt threshold vector ${label}`));
const fileKey = derive('file key');
const groupId = derive('group id').subarray(0, 16).toString('hex');
const k = 2;
const coefficients = [derive('coefficient 1')];
const payloadSalt = derive('payload salt').subarray(0, 24);
const plaintext = Buffer.alloc(1000).map((_, i) => (i * 13 + 5) & 0xff);
const x25519 = { secretKey: derive('x25519 secret'), ephemeral: derive('x25519 ephemeral') };
const brokerA = { keyId: 'key_a', version: 1, url: 'https://broker-a.example:8443', secretKey: derive('broker a secret'), ephemeral: derive('broker a ephemeral') };
const brokerB = { keyId: 'key_b', version: 2, url: 'https://broker-b.example:8443', secretKey: derive('broker b secret'), ephemeral: derive('broker b ephemeral') };
const kek = derive('kek');
const kekId = 'escrow/kek-1';

function stanza(type: string, args: string[], body: Uint8Array): Buffer {
  const text = b64(body);
  const lines = [['->', type, ...args].join(' ')];
  for (let i = 0; i <= text.length; i += 64) lines.push(text.slice(i, i + 64));
  return ascii(lines.join('\n') + '\n');
}

function brokerMember(b: typeof brokerA, share: Uint8Array) {
  const s = hpkeSeal(2, b.ephemeral, publicOf(b.secretKey), ascii(`${LABEL} broker`), ascii(`${b.keyId}/${b.version}`), share);
  return { type: 'broker', args: [b.keyId, String(b.version), b64(s.enc)], body: s.ciphertext };
}

function main() {
  const xs = [1, 2, 3, 4];
  const shares = xs.map((x) => shareAt(fileKey, coefficients, x));
  // Any two give the key back.
  for (let i = 0; i < 4; i++)
    for (let j = i + 1; j < 4; j++) {
      if (!combine([{ x: xs[i], y: shares[i] }, { x: xs[j], y: shares[j] }]).equals(fileKey)) throw new Error('Shamir does not combine');
    }
  const x = hpkeSeal(2, x25519.ephemeral, publicOf(x25519.secretKey), ascii(`${LABEL} X25519`), Buffer.alloc(0), shares[0]);
  const members = [
    { where: '-', type: 'X25519', args: [b64(x.enc)], body: x.ciphertext },
    { where: brokerA.url, ...brokerMember(brokerA, shares[1]) },
    { where: brokerB.url, ...brokerMember(brokerB, shares[2]) },
    { where: '-', type: 'aes256-kw', args: [kekId], body: createCipheriv('id-aes256-wrap', kek, hex('a6a6a6a6a6a6a6a6')).update(shares[3]) },
  ];
  const stanzas = [
    { type: 'threshold', args: [groupId, String(k), String(members.length)], body: Buffer.alloc(0) },
    ...members.map((m, i) => ({ type: 'share', args: [groupId, String(xs[i]), m.where, m.type, ...m.args], body: m.body })),
  ];
  const macKey = Buffer.from(hkdfSync('sha256', fileKey, Buffer.alloc(0), ascii(`${LABEL} header`), 32));
  const payloadKey = Buffer.from(hkdfSync('sha256', fileKey, Buffer.alloc(0), ascii(`${LABEL} payload`), 32));
  const macInput = Buffer.concat([ascii(`${LABEL}\n`), ...stanzas.map((s) => stanza(s.type, s.args, s.body)), ascii('---')]);
  const mac = createHmac('sha256', macKey).update(macInput).digest();
  const header = Buffer.concat([macInput, ascii(` ${b64(mac)}\n`)]);

  // Cobblestone-256 (c2sp.org/chunked-encryption): one final chunk, AES-256-GCM.
  const derived = expand(
    'sha512',
    payloadKey,
    Buffer.concat([ascii('c2sp.org/chunked-encryption@v1+AEAD_AES_256_GCM'), Buffer.from([0]), payloadSalt, ascii(LABEL)]),
    76,
  );
  const c = createCipheriv('aes-256-gcm', derived.subarray(0, 32), derived.subarray(32, 44));
  const envelope = Buffer.concat([header, payloadSalt, derived.subarray(44, 76), c.update(plaintext), c.final(), c.getAuthTag()]);
  writeFileSync(path.join(here, 'envelope-threshold-v1.sce'), envelope);

  // A share 2 of another polynomial for the same key: the MAC must refuse what it rebuilds.
  const foreign = brokerMember(brokerA, shareAt(fileKey, [derive('another coefficient 1')], 2));
  const resource = `envelope:${b64(payloadSalt)}`;
  const vectors = {
    description: 'sectorcrypt envelope threshold group known answers; see test/vectors/README.md and generate-threshold.ts beside this file',
    field: 'GF(2^8) mod x^8 + x^4 + x^3 + x + 1 (0x11b); secret at x = 0',
    fileKey: fileKey.toString('hex'),
    macKey: macKey.toString('hex'),
    payloadKey: payloadKey.toString('hex'),
    mac: mac.toString('hex'),
    headerBytes: header.length,
    envelopeSha256: sha256(envelope).toString('hex'),
    resource,
    group: { groupId, k, n: members.length, coefficients: coefficients.map((c) => c.toString('hex')) },
    shares: xs.map((x, i) => ({ index: x, value: shares[i].toString('hex') })),
    shareResources: xs.map((x) => `${resource}.share.${k}-of-${members.length}.${groupId}.${x}`),
    plaintext: { rule: 'byte i = (i * 13 + 5) mod 256', length: plaintext.length, sha256: sha256(plaintext).toString('hex') },
    identities: {
      x25519: { secretKey: x25519.secretKey.toString('hex'), publicKey: publicOf(x25519.secretKey).toString('hex') },
      brokerA: { keyId: brokerA.keyId, version: brokerA.version, url: brokerA.url, secretKey: brokerA.secretKey.toString('hex') },
      brokerB: { keyId: brokerB.keyId, version: brokerB.version, url: brokerB.url, secretKey: brokerB.secretKey.toString('hex') },
      aes256kw: { kek: kek.toString('hex'), keyId: kekId },
    },
    stanzas: stanzas.map((s) => ({ type: s.type, args: s.args, body: s.body.toString('hex') })),
    foreignShare2: { type: 'share', args: [groupId, '2', brokerA.url, foreign.type, ...foreign.args], body: foreign.body.toString('hex') },
  };
  writeFileSync(path.join(here, 'envelope-threshold-v1.json'), JSON.stringify(vectors, null, 1) + '\n');
}

main();
