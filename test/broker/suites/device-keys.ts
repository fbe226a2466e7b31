/**
 * Enrolling a device key tells the caller nothing about other tenants (docs/broker.md
 * "Enrolling agents"): a key is unique within its tenant only, so tenant B enrolling a key
 * tenant A holds is answered exactly as a fresh key is, and the two devices stay apart:
 * each signature names its device id, which decides the tenant.
 */
import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { signEnrollment } from '../../../src/agent/enroll-proof.js';
import { signRequest } from '../../../src/http-signature/index.js';
import { PinnedHttps } from '../../../src/agent/https.js';
import { makeTenant, type Harness } from '../helpers.js';

function deviceKey(): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  return { publicKey: new Uint8Array(Buffer.from(jwk.x!, 'base64url')), secretKey: new Uint8Array(Buffer.from(jwk.d!, 'base64url')) };
}

export function deviceKeysSuite(harness: () => Harness): void {
  describe('device keys across tenants', () => {
    it("tenant B enrolling tenant A's device key is answered as a fresh key; each device signs for its own tenant only", async () => {
      const h = harness();
      const [a, b] = [await makeTenant(h), await makeTenant(h)];
      const token = async (t: { admin: string }) =>
        (await h.client.call('POST', '/v1/enrollment-tokens', { token: t.admin, body: { groups: ['edge'], uses: 5 } })).body
          .token as string;
      const [tokenA, tokenB] = [await token(a), await token(b)];
      const enroll = (tok: string, key: { publicKey: Uint8Array; secretKey: Uint8Array }, name: string) =>
        h.client.call('POST', '/v1/agent/enroll', {
          body: {
            token: tok,
            publicKey: Buffer.from(key.publicKey).toString('base64'),
            proof: Buffer.from(signEnrollment(tok, key.secretKey, key.publicKey)).toString('base64'),
            device: { name },
          },
        });

      const shared = deviceKey();
      const inA = await enroll(tokenA, shared, 'a-1');
      expect(inA.status).toBe(201);
      // What B sees for a key nobody holds, and for A's key: the same answer.
      const fresh = await enroll(tokenB, deviceKey(), 'b-fresh');
      const taken = await enroll(tokenB, shared, 'b-1');
      expect(taken.status, JSON.stringify(taken.body)).toBe(fresh.status);
      expect(Object.keys(taken.body).sort()).toEqual(Object.keys(fresh.body).sort());
      expect(taken.body).toMatchObject({ tenantId: b.tenantId, groups: ['edge'], deviceId: expect.stringMatching(/^dev_/) });
      expect(JSON.stringify(taken.body)).not.toContain(a.tenantId);
      expect(taken.body.deviceId).not.toBe(inA.body.deviceId);

      // A second enrollment of a key within one tenant is still a conflict, in either tenant alike.
      for (const [tok, t] of [
        [tokenA, 'A'],
        [tokenB, 'B'],
      ] as const) {
        const again = await enroll(tok, shared, 'again');
        expect(again.status, t).toBe(409);
        expect(again.body.error.message, t).toBe('this public key is already enrolled in this tenant');
      }

      // The two devices are two: a signature names its device id, and that decides the tenant.
      const keyOf = async (t: { admin: string }) =>
        (await h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: 'edge-key' } })).body.keyId as string;
      const [keyA, keyB] = [await keyOf(a), await keyOf(b)];
      const http = new PinnedHttps(h.ca);
      try {
        const ask = async (deviceId: string, keyId: string) => {
          const url = `${h.url}/v1/keys/${keyId}/public`;
          return (
            await http.send(
              'GET',
              url,
              signRequest({ method: 'GET', url, body: new Uint8Array(), keyId: deviceId, secretKey: shared.secretKey }),
            )
          ).status;
        };
        expect(await ask(inA.body.deviceId, keyA)).toBe(200);
        expect(await ask(taken.body.deviceId, keyB)).toBe(200);
        expect(await ask(inA.body.deviceId, keyB)).toBe(404);
        expect(await ask(taken.body.deviceId, keyA)).toBe(404);
      } finally {
        http.close();
      }
      const devices = async (t: { admin: string }) =>
        (await h.client.call('GET', '/v1/devices', { token: t.admin })).body.devices.map((d: { deviceId: string }) => d.deviceId);
      expect(await devices(a)).toEqual([inA.body.deviceId]);
      expect((await devices(b)).sort()).toEqual([fresh.body.deviceId, taken.body.deviceId].sort());
    });
  });
}
