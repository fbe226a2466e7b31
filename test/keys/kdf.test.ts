/**
 * Argon2 key derivation (src/keys/kdf.ts): the native `argon2` package and the WebAssembly
 * fallback give the same keys; a native build that would crash the process is not loaded.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CHILD_IMPORT, sourceFile } from '../entry.js';
import { argon2Engine, deriveKey, kdfParams, loadsInChild } from '../../src/keys/kdf.js';

const native = argon2Engine() === 'native';

describe('argon2 engines', () => {
  it.skipIf(!native)(
    'native and WebAssembly argon2id/argon2i derive the same keys (skipped where the argon2 package does not load)',
    async () => {
      const passphrase = new TextEncoder().encode('correct horse battery staple');
      const salt = new Uint8Array(32).map((_, i) => i * 7);
      for (const type of ['argon2id', 'argon2i'] as const) {
        for (const parallel of [1, 4]) {
          const params = kdfParams({ type, memory: 1024, time: 4, parallel }, salt);
          const a = await deriveKey(passphrase, params, 64, 'native');
          const b = await deriveKey(passphrase, params, 64, 'wasm');
          expect(Buffer.from(a).toString('hex')).toBe(Buffer.from(b).toString('hex'));
          expect(a.length).toBe(64);
        }
      }
    },
  );

  it('a different passphrase or salt gives a different key', async () => {
    const salt = new Uint8Array(32).fill(1);
    const params = kdfParams({ memory: 256, time: 4, parallel: 2 }, salt);
    const a = await deriveKey(new Uint8Array([1, 2, 3]), params, 32);
    const b = await deriveKey(new Uint8Array([1, 2, 4]), params, 32);
    const c = await deriveKey(new Uint8Array([1, 2, 3]), kdfParams({ memory: 256, time: 4, parallel: 2 }, new Uint8Array(32).fill(2)), 32);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
  });

  it('a native module that crashes its process on load is detected in a child, not loaded', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sectorcrypt-kdf-'));
    try {
      writeFileSync(path.join(dir, 'crash.cjs'), "process.kill(process.pid, 'SIGSEGV');\n");
      writeFileSync(path.join(dir, 'fine.cjs'), 'module.exports = 1;\n');
      expect(loadsInChild(path.join(dir, 'crash.cjs'))).toBe(false);
      expect(loadsInChild(path.join(dir, 'fine.cjs'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('SECTORCRYPT_ARGON2=wasm picks the WebAssembly argon2', () => {
    const code = `import(${JSON.stringify(pathToFileURL(sourceFile('keys/kdf')).href)}).then((m) => console.log(m.argon2Engine()))`;
    const out = execFileSync(process.execPath, [...CHILD_IMPORT, '-e', code], {
      env: { ...process.env, SECTORCRYPT_ARGON2: 'wasm' },
      encoding: 'utf8',
    });
    expect(out.trim()).toBe('wasm');
  });
});
