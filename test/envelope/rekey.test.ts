/** rekeyEnvelope and inspectEnvelope: recipients change, payload bytes stay; removed identities no longer open. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decryptEnvelope, encryptEnvelope, inspectEnvelope, openEnvelopeReader, rekeyEnvelope } from '../../src/index.js';
import { alice, bob, CHEAP, kek, kekId, quinn, randomPlain } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sectorcrypt-rekey-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const payloadOf = async (env: Uint8Array) => env.subarray((await inspectEnvelope(env)).headerBytes);

describe('inspectEnvelope', () => {
  it('lists stanza types and public arguments, header and payload sizes, without a key', async () => {
    const plain = randomPlain(1000);
    const env = await encryptEnvelope(plain, {
      recipients: [alice.publicKey, { kek, keyId: kekId }, { passphrase: 'x', argon2id: CHEAP }],
    });
    const s = await inspectEnvelope(env);
    expect(s.stanzas.map((x) => [x.index, x.type])).toEqual([
      [0, 'X25519'],
      [1, 'aes256-kw'],
      [2, 'argon2id'],
    ]);
    expect(s.stanzas[1].args).toEqual([kekId]);
    expect(s.stanzas[2].args.slice(1)).toEqual(['256', '1', '1']);
    expect(s.headerBytes + s.payloadBytes).toBe(env.length);
    expect(s.payloadBytes).toBe(56 + 1000 + 16);
  });
});

describe('rekeyEnvelope', () => {
  it('in memory: adds and removes recipients; payload bytes identical; the removed identity is ERR_NO_IDENTITY', async () => {
    const plain = randomPlain(70000, 2);
    const env = await encryptEnvelope(plain, { recipients: [alice.publicKey, bob.publicKey] });
    const out = (await rekeyEnvelope(env, {
      identities: [alice.secretKey],
      add: [quinn.publicKey, { kek, keyId: kekId }],
      remove: [1],
    })) as Uint8Array;
    expect(Buffer.from(await payloadOf(out)).equals(Buffer.from(await payloadOf(env)))).toBe(true);
    expect((await inspectEnvelope(out)).stanzas.map((s) => s.type)).toEqual(['X25519', 'mlkem768x25519', 'aes256-kw']);
    // The kept stanza is byte for byte the old one.
    const head = (e: Uint8Array) => Buffer.from(e).toString('latin1');
    const firstStanza = (t: string) => t.slice(t.indexOf('-> X25519'), t.indexOf('-> ', t.indexOf('-> X25519') + 3));
    expect(firstStanza(head(out))).toBe(firstStanza(head(env)));
    await expect(decryptEnvelope(out, { identities: [bob.secretKey] })).rejects.toThrow(/ERR_NO_IDENTITY/);
    for (const id of [alice.secretKey, quinn.secretKey, { kek }]) expect(await decryptEnvelope(out, { identities: [id] })).toEqual(plain);
  });

  it('on a file: written beside and renamed; output elsewhere leaves the source as it was', async () => {
    const plain = randomPlain(100000, 3);
    const src = path.join(dir, 'snap.sce');
    const env = await encryptEnvelope(plain, { recipients: [alice.publicKey, { passphrase: 'pw', argon2id: CHEAP }] });
    writeFileSync(src, env);
    const dst = path.join(dir, 'snap2.sce');
    expect(
      await rekeyEnvelope(src, { identities: [{ passphrase: 'pw' }], remove: [0], add: [bob.publicKey], output: dst }),
    ).toBeUndefined();
    expect(readFileSync(src)).toEqual(Buffer.from(env));
    const out = new Uint8Array(readFileSync(dst));
    expect(Buffer.from(await payloadOf(out)).equals(Buffer.from(await payloadOf(env)))).toBe(true);
    await expect(decryptEnvelope(out, { identities: [alice.secretKey] })).rejects.toThrow(/ERR_NO_IDENTITY/);
    const reader = await openEnvelopeReader(dst, { identities: [bob.secretKey] });
    expect(await reader.read(0, plain.length)).toEqual(plain);
    await reader.close();
    // In place (no output): the file is replaced whole, no temp file remains.
    await rekeyEnvelope(src, { identities: [alice.secretKey], remove: [1] });
    expect((await inspectEnvelope(src)).stanzas.map((s) => s.type)).toEqual(['X25519']);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses: a wrong identity, bad indexes, no recipient left, a changed header; nothing written', async () => {
    const env = await encryptEnvelope(new Uint8Array(10), { recipients: [alice.publicKey] });
    await expect(rekeyEnvelope(env, { identities: [bob.secretKey], add: [bob.publicKey] })).rejects.toThrow(/ERR_NO_IDENTITY/);
    await expect(rekeyEnvelope(env, { identities: [alice.secretKey], remove: [1] })).rejects.toThrow(/ERR_ARGUMENT/);
    await expect(rekeyEnvelope(env, { identities: [alice.secretKey], remove: [0] })).rejects.toThrow(/ERR_ARGUMENT/);
    await expect(rekeyEnvelope(env, { identities: [alice.secretKey], bogus: 1 } as never)).rejects.toThrow(/ERR_ARGUMENT/);
    const bad = env.slice();
    bad[bad.indexOf(0x2d, 30) + 5] ^= 1; // inside the MAC line
    const target = path.join(dir, 'never.sce');
    await expect(rekeyEnvelope(bad, { identities: [alice.secretKey], add: [bob.publicKey], output: target })).rejects.toThrow(
      /ERR_AUTH|ERR_CORRUPT_HEADER/,
    );
    expect(existsSync(target)).toBe(false);
  });
});
