/**
 * Threshold groups as properties (fast-check): any k of n shares give the secret back, k - 1
 * do not (the value they give fails the header MAC); through whole envelopes, any k members'
 * identities open it and k - 1 fail with ERR_THRESHOLD; rekey changes k and members without
 * touching the payload.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseHeader } from '../../src/envelope/header.js';
import { checkHeaderMac } from '../../src/envelope/key-schedule.js';
import { gfMul, interpolate, splitSecret } from '../../src/keys/shamir.js';
import { decryptEnvelope, encryptEnvelope, generateIdentity, inspectEnvelope, rekeyEnvelope } from '../../src/index.js';

/** A k-of-n shape and a subset of the indexes 0..n-1 of the given size relative to k. */
const shape = fc
  .integer({ min: 1, max: 8 })
  .chain((n) =>
    fc.record({ n: fc.constant(n), k: fc.integer({ min: 1, max: n }), order: fc.shuffledSubarray([...Array(n).keys()], { minLength: n }) }),
  );

describe('Shamir over GF(2^8)', () => {
  it('multiplication is the field of FIPS 197: commutative, distributive, 0x11b reduction', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), (a, b, c) => {
        expect(gfMul(a, b)).toBe(gfMul(b, a));
        expect(gfMul(a, b ^ c)).toBe(gfMul(a, b) ^ gfMul(a, c));
        expect(gfMul(a, 1)).toBe(a);
      }),
      { numRuns: 500 },
    );
    expect(gfMul(0x80, 0x02)).toBe(0x1b);
  });

  it('any k of n shares give the secret; k - 1 give another value', () => {
    fc.assert(
      fc.property(shape, fc.uint8Array({ minLength: 32, maxLength: 32 }), ({ n, k, order }, secret) => {
        const shares = splitSecret(
          secret,
          k,
          [...Array(n).keys()].map((i) => i + 1),
        );
        const some = order.slice(0, k).map((i) => shares[i]);
        expect(Buffer.from(interpolate(some)).equals(Buffer.from(secret))).toBe(true);
        if (k >= 2) {
          const fewer = interpolate(some.slice(0, k - 1));
          expect(Buffer.from(fewer).equals(Buffer.from(secret))).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('k - 1 shares fail the MAC of an envelope header made with the secret', async () => {
    const ids = await Promise.all([1, 2, 3].map(() => generateIdentity('x25519')));
    const env = await encryptEnvelope(new Uint8Array(10), { threshold: { k: 2, recipients: ids.map((i) => i.publicKey) } });
    const header = parseHeader(env);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 1, max: 255 }), (value, index) => {
        // Whatever one share is, alone it rebuilds a key the MAC refuses.
        expect(() => checkHeaderMac(interpolate([{ index, value }]), header.macInput, header.mac)).toThrow(/MAC/);
      }),
      { numRuns: 200 },
    );
  });
});

describe('threshold envelopes', () => {
  it('any k members open it, k - 1 get ERR_THRESHOLD naming the others', async () => {
    const ids = await Promise.all([...Array(5)].map(() => generateIdentity('x25519')));
    await fc.assert(
      fc.asyncProperty(
        shape.filter((s) => s.n <= 5),
        fc.uint8Array({ maxLength: 300 }),
        async ({ n, k, order }, plaintext) => {
          const env = await encryptEnvelope(plaintext, { threshold: { k, recipients: ids.slice(0, n).map((i) => i.publicKey) } });
          const enough = order.slice(0, k).map((i) => ids[i].secretKey);
          expect(Buffer.from(await decryptEnvelope(env, { identities: enough })).equals(Buffer.from(plaintext))).toBe(true);
          if (k >= 2) {
            const err = await decryptEnvelope(env, { identities: enough.slice(0, k - 1) }).catch((e) => e);
            expect(err.code).toBe('ERR_THRESHOLD');
            expect(err.members).toHaveLength(n - k + 1);
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('rekey to another k and other members keeps the payload and drops the old group', async () => {
    const ids = await Promise.all([...Array(4)].map(() => generateIdentity('x25519')));
    const env = await encryptEnvelope(new TextEncoder().encode('payload'), {
      recipients: [{ passphrase: 'fallback', argon2id: { memoryKiB: 64, passes: 1, lanes: 1 } }],
      threshold: { k: 2, recipients: ids.slice(0, 3).map((i) => i.publicKey) },
    });
    const before = await inspectEnvelope(env);
    const out = (await rekeyEnvelope(env, {
      identities: [ids[0].secretKey, ids[1].secretKey],
      threshold: { k: 3, recipients: ids.slice(1).map((i) => i.publicKey) },
    })) as Uint8Array;
    const after = await inspectEnvelope(out);
    expect(Buffer.from(out.subarray(out.length - after.payloadBytes)).equals(Buffer.from(env.subarray(before.headerBytes)))).toBe(true);
    expect(after.groups).toHaveLength(1);
    expect(after.groups[0]).toMatchObject({ k: 3, n: 3 });
    expect(after.groups[0].groupId).not.toBe(before.groups[0].groupId);
    expect(after.stanzas[0].type).toBe('argon2id');
    // The old member 0 is gone; 1, 2, 3 together open it; two of them do not.
    expect((await decryptEnvelope(out, { identities: ids.slice(1).map((i) => i.secretKey) })).length).toBe(7);
    expect((await decryptEnvelope(out, { identities: [ids[0].secretKey, ids[1].secretKey, ids[2].secretKey] }).catch((e) => e)).code).toBe(
      'ERR_THRESHOLD',
    );
    // One share cannot be removed alone; the group stanza takes its shares along.
    await expect(rekeyEnvelope(out, { identities: [{ passphrase: 'fallback' }], remove: [2] })).rejects.toThrow(/share of threshold group/);
    const noGroup = (await rekeyEnvelope(out, { identities: [{ passphrase: 'fallback' }], remove: [1] })) as Uint8Array;
    expect((await inspectEnvelope(noGroup)).stanzas.map((s) => s.type)).toEqual(['argon2id']);
  });

  it('bad group options are ERR_ARGUMENT before any output', async () => {
    const { publicKey } = await generateIdentity('x25519');
    for (const threshold of [
      { k: 0, recipients: [publicKey] },
      { k: 2, recipients: [publicKey] },
      { k: 1.5, recipients: [publicKey, publicKey] },
      { k: 1, recipients: [] },
    ]) {
      await expect(encryptEnvelope(new Uint8Array(1), { threshold })).rejects.toMatchObject({ code: 'ERR_ARGUMENT' });
    }
    await expect(
      encryptEnvelope(new Uint8Array(1), {
        threshold: { k: 1, recipients: [{ broker: { keyId: 'k', version: 1, publicKey: new Uint8Array(32), url: 'http://x' } }] },
      }),
    ).rejects.toMatchObject({ code: 'ERR_ARGUMENT' });
  });
});

describe('threshold members of every local type', () => {
  it('X-Wing, passphrase and KEK members: any two open it, one alone does not', async () => {
    const pq = await generateIdentity('mlkem768x25519');
    const kek = new Uint8Array(32).fill(7);
    const env = await encryptEnvelope(new TextEncoder().encode('mixed'), {
      threshold: {
        k: 2,
        recipients: [pq.publicKey, { passphrase: 'pw', argon2id: { memoryKiB: 64, passes: 1, lanes: 1 } }, { kek, keyId: 'escrow/1' }],
      },
    });
    const summary = await inspectEnvelope(env);
    expect(summary.groups[0].members.map((m) => m.type)).toEqual(['mlkem768x25519', 'argon2id', 'aes256-kw']);
    const ids = { pq: pq.secretKey, pw: { passphrase: 'pw' }, kek: { kek, keyId: 'escrow/1' } };
    for (const pair of [
      [ids.pq, ids.pw],
      [ids.pq, ids.kek],
      [ids.pw, ids.kek],
    ]) {
      expect(new TextDecoder().decode(await decryptEnvelope(env, { identities: pair }))).toBe('mixed');
    }
    const err = await decryptEnvelope(env, { identities: [ids.kek, { passphrase: 'wrong' }] }).catch((e) => e);
    expect(err.code).toBe('ERR_THRESHOLD');
    expect(err.message).toContain('share 2 (argon2id): no identity given opens it');
  });
});
