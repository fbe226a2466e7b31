/**
 * Checkpoints "at least every N records" (docs/audit.md): signed once an append
 * leaves the log N or more records past its last checkpoint, after the answer, and never two
 * scheduled ones closer than N. The harness broker runs with TEST_CHECKPOINTS.
 */
import { describe, expect, it } from 'vitest';
import { openCheckpoint, verifyExport } from '../../../src/audit/index.js';
import { makeTenant, type Harness } from '../helpers.js';
import { exportLog } from './audit-log.js';

export const TEST_CHECKPOINTS = { everyRecords: 8, everySeconds: 3600 };

/** The sizes the harness broker signed the tenant's log at. */
export const sizesOf = async (h: Harness, tenantId: string) => (await h.broker.signedCheckpoints(tenantId)).map((c) => c.size);

/** Consecutive differences of a list of sizes. */
export const gaps = (sizes: number[]) => sizes.slice(1).map((s, i) => s - sizes[i]!);

export function checkpointSuite(harness: () => Harness): void {
  describe('checkpoints every N records', () => {
    const N = TEST_CHECKPOINTS.everyRecords;

    it('signs once the log grew by N records, not before, and the checkpoint verifies', async () => {
      const h = harness();
      const t = await makeTenant(h);
      const newKey = (i: number) => h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: `cp-${i}` } });
      const size = async () => (await exportLog(h, t.auditor)).records.length;
      const lastSigned = async () => (await sizesOf(h, t.tenantId)).at(-1) ?? 0;
      await h.broker.checkpointsSettled();
      // makeTenant wrote more than N records: one checkpoint already, fewer than N after it.
      const first = await lastSigned();
      expect(first).toBeGreaterThanOrEqual(N);
      let unsigned = (await size()) - first;
      expect(unsigned).toBeLessThan(N);
      for (let i = 0; unsigned < N - 1; i++, unsigned++) expect((await newKey(i)).status).toBe(201);
      await h.broker.checkpointsSettled();
      expect(await lastSigned()).toBe(first);
      expect((await newKey(99)).status).toBe(201);
      await h.broker.checkpointsSettled();
      expect(await lastSigned()).toBe(first + N);
      // The scheduled checkpoint is the one the API serves at that size, and it verifies.
      const cp = (await h.client.call('GET', '/v1/audit/checkpoint', { token: t.auditor })).body;
      expect(openCheckpoint(cp.checkpoint, cp.verifierKey).size).toBe(first + N);
      expect(await sizesOf(h, t.tenantId)).toEqual(expect.arrayContaining([first, first + N]));
      expect(await verifyExport((await exportLog(h, t.auditor)).lines, cp.checkpoint, cp.verifierKey)).toMatchObject({ size: first + N });
    });

    it('coalesces a burst of concurrent appends: no two checkpoints closer than N', async () => {
      const h = harness();
      const t = await makeTenant(h);
      await h.broker.checkpointsSettled();
      const answers = await Promise.all(
        Array.from({ length: 3 * N }, (_, i) => h.client.call('POST', '/v1/keys', { token: t.admin, body: { name: `burst-${i}` } })),
      );
      expect(answers.every((a) => a.status === 201)).toBe(true);
      await h.broker.checkpointsSettled();
      const sizes = await sizesOf(h, t.tenantId);
      const total = (await exportLog(h, t.auditor)).records.length;
      expect(total - sizes.at(-1)!).toBeLessThan(N);
      for (const gap of gaps(sizes)) expect(gap).toBeGreaterThanOrEqual(N);
    });
  });
}
