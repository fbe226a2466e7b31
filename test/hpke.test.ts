import { test, expect } from 'vitest';
import { hpkeSeal, hpkeOpen, hpkeGenerateKeyPair } from '../src/keys/hpke.js';
test('HPKE seals and opens for both KEMs; a wrong aad is ERR_AUTH; a low-order X25519 key is refused', async () => {
  for (const kem of ['x25519', 'xwing'] as const) {
    const kp = await hpkeGenerateKeyPair(kem);
    const info = new TextEncoder().encode('i'); const aad = new TextEncoder().encode('a');
    const s = await hpkeSeal(kem, kp.publicKey, info, aad, new Uint8Array(32).fill(7));
    
    expect(await hpkeOpen(kem, kp.secretKey, s.enc, info, aad, s.ciphertext)).toEqual(new Uint8Array(32).fill(7));
    await expect(hpkeOpen(kem, kp.secretKey, s.enc, info, new Uint8Array(1), s.ciphertext)).rejects.toThrow(/ERR_AUTH/);
  }
  await expect(hpkeSeal('x25519', new Uint8Array(32), new Uint8Array(0), new Uint8Array(0), new Uint8Array(32))).rejects.toThrow(/ERR_ARGUMENT/);
});
