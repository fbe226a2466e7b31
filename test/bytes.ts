/** Small byte helpers for tests. */
import { expect } from 'vitest';
import { SectorCryptError } from '../src/errors.js';

export function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function le128(value: bigint): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = Number((value >> BigInt(8 * i)) & 0xffn);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/**
 * Runs fn and checks it throws a SectorCryptError with `code`; when `secret` is given,
 * also checks that the message does not contain it in hex (either case).
 */
export function expectCode(fn: () => unknown, code: string, secret?: Uint8Array): SectorCryptError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  return checkError(caught, code, secret);
}

export async function expectRejectCode(promise: () => Promise<unknown>, code: string): Promise<SectorCryptError> {
  let caught: unknown;
  try {
    await promise();
  } catch (err) {
    caught = err;
  }
  return checkError(caught, code);
}

function checkError(caught: unknown, code: string, secret?: Uint8Array): SectorCryptError {
  expect(caught, `expected ${code}, nothing was thrown`).toBeInstanceOf(SectorCryptError);
  const err = caught as SectorCryptError;
  expect(err.code).toBe(code);
  if (secret && secret.length > 0) {
    const hex = toHex(secret);
    expect(err.message.toLowerCase()).not.toContain(hex);
    expect(String(err.stack).toLowerCase()).not.toContain(hex);
  }
  return err;
}
