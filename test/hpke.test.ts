import { test, expect } from 'vitest';
import { hpkeSeal, hpkeOpen, hpkeGenerateKeyPair } from '../src/keys/hpke.js';
test('HPKE seals and opens for both KEMs; a wrong aad is ERR_AUTH; a low-order X25519 key is refused', async () => {
  for (const kem of ['x25519', 'xwing'] as const) {
    const kp = await hpkeGenerateKeyPair(kem);
    const info = new TextEncoder().encode('i');
    const aad = new TextEncoder().encode('a');
    const s = await hpkeSeal(kem, kp.publicKey, info, aad, new Uint8Array(32).fill(7));

    expect(await hpkeOpen(kem, kp.secretKey, s.enc, info, aad, s.ciphertext)).toEqual(new Uint8Array(32).fill(7));
    await expect(hpkeOpen(kem, kp.secretKey, s.enc, info, new Uint8Array(1), s.ciphertext)).rejects.toThrow(/ERR_AUTH/);
  }
  await expect(hpkeSeal('x25519', new Uint8Array(32), new Uint8Array(0), new Uint8Array(0), new Uint8Array(32))).rejects.toThrow(
    /ERR_ARGUMENT/,
  );
});

test('Node Buffers (views into a shared pool) seal and open like plain Uint8Arrays', async () => {
  const kp = await hpkeGenerateKeyPair('x25519');
  const info = Buffer.from('sectorcrypt test');
  const sealed = await hpkeSeal('x25519', Buffer.from(kp.publicKey), info, Buffer.from('aad'), Buffer.from('a small pooled secret'));
  const opened = await hpkeOpen(
    'x25519',
    Buffer.from(kp.secretKey),
    Buffer.from(sealed.enc),
    info,
    Buffer.from('aad'),
    Buffer.from(sealed.ciphertext),
  );
  expect(Buffer.from(opened).toString()).toBe('a small pooled secret');
});

test('a low-order X25519 share (enc) is refused as ERR_AUTH when opening', async () => {
  const kp = await hpkeGenerateKeyPair('x25519');
  const zero = new Uint8Array(32);
  await expect(hpkeOpen('x25519', kp.secretKey, zero, new Uint8Array(0), new Uint8Array(0), new Uint8Array(48))).rejects.toThrow(
    /ERR_AUTH/,
  );
});
