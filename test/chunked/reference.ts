/**
 * An independent Cobblestone encoder for cross-checks, written straight from the spec with
 * node:crypto only: HKDF-Expand from createHmac('sha512'), each chunk from aes-*-gcm.
 */
import { createCipheriv, createHmac } from 'node:crypto';

export function refExpand(prk: Uint8Array, info: Uint8Array, length: number): Buffer {
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  for (let i = 1; Buffer.concat(blocks).length < length; i++) {
    previous = createHmac('sha512', prk)
      .update(previous)
      .update(info)
      .update(Buffer.from([i]))
      .digest();
    blocks.push(previous);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

export function refInfo(keyLength: number, salt: Uint8Array, context: Uint8Array): Buffer {
  const aead = keyLength === 16 ? 'AEAD_AES_128_GCM' : 'AEAD_AES_256_GCM';
  return Buffer.concat([Buffer.from(`c2sp.org/chunked-encryption@v1+${aead}`, 'ascii'), Buffer.from([0]), salt, context]);
}

export function refDerive(inputKey: Uint8Array, salt: Uint8Array, context: Uint8Array) {
  const n = inputKey.length;
  const okm = refExpand(inputKey, refInfo(n, salt, context), n + 12 + 32);
  return { key: okm.subarray(0, n), baseNonce: okm.subarray(n, n + 12), commitment: okm.subarray(n + 12) };
}

export function refNonce(baseNonce: Uint8Array, index: number): Buffer {
  const nonce = Buffer.from(baseNonce);
  const counter = Buffer.alloc(12);
  counter.writeBigUInt64BE(BigInt(index), 4);
  for (let i = 0; i < 12; i++) nonce[i] ^= counter[i];
  return nonce;
}

/** The sealed chunks of `plaintext` under a given key and base nonce (raw mode). */
export function refSealRaw(key: Uint8Array, baseNonce: Uint8Array, plaintext: Uint8Array): Buffer {
  const parts: Buffer[] = [];
  const algorithm = key.length === 16 ? 'aes-128-gcm' : 'aes-256-gcm';
  for (let index = 0, offset = 0; ; index++, offset += 16384) {
    const chunk = plaintext.subarray(offset, offset + 16384);
    const cipher = createCipheriv(algorithm, key, refNonce(baseNonce, index));
    parts.push(cipher.update(chunk), cipher.final(), cipher.getAuthTag());
    if (chunk.length < 16384) break;
  }
  return Buffer.concat(parts);
}

/** salt || commitment || sealed chunks, with the salt given. */
export function refEncrypt(inputKey: Uint8Array, salt: Uint8Array, context: Uint8Array, plaintext: Uint8Array): Buffer {
  const { key, baseNonce, commitment } = refDerive(inputKey, salt, context);
  return Buffer.concat([salt, commitment, refSealRaw(key, baseNonce, plaintext)]);
}
