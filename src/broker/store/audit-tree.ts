/**
 * The tenant's RFC 9162 tree in the audit_nodes table: every perfect subtree's root by
 * (level, idx). An append writes its leaf and the parents it completes (one on average);
 * a proof or a root reads only the O(log n) subtree roots it needs (src/audit tree-nodes.ts).
 *
 * The proof builders of src/audit read a synchronous NodeSource. Which nodes they read
 * depends on the sizes and indexes only, never on hash values, so a first dry run records
 * the (level, idx) pairs, one query fetches them, and a second run computes the answer.
 */
import { SectorCryptError } from '../../errors.js';
import { HASH_SIZE, nodeHash, rangeRoot, type NodeSource } from '../../audit/index.js';
import type { Sql } from './types.js';

/** Stores leaf `seq` and every parent whose right child it completes (RFC 9162 2.1.1). */
export async function addLeaf(q: Sql, tenantId: string, seq: number, leaf: Uint8Array): Promise<void> {
  const lefts: { level: number; idx: number }[] = [];
  for (let level = 0, idx = seq; idx % 2 === 1; level++, idx = Math.floor(idx / 2)) lefts.push({ level, idx: idx - 1 });
  const found = lefts.length ? await fetchNodes(q, tenantId, lefts) : new Map<string, Uint8Array>();
  const levels = [0];
  const idxs = [seq];
  const hashes = [leaf];
  let hash = leaf;
  for (const { level, idx } of lefts) {
    const left = found.get(`${level}/${idx}`);
    if (!left) throw new SectorCryptError('ERR_AUDIT_TAMPERED', `the audit tree lacks node ${level}/${idx}`);
    hash = nodeHash(left, hash);
    levels.push(level + 1);
    idxs.push(idx / 2);
    hashes.push(hash);
  }
  await q.query(
    'INSERT INTO audit_nodes (tenant_id, level, idx, hash) SELECT $1, * FROM unnest($2::integer[], $3::bigint[], $4::bytea[])',
    [tenantId, levels, idxs, hashes.map((h) => Buffer.from(h))],
  );
}

async function fetchNodes(q: Sql, tenantId: string, wanted: { level: number; idx: number }[]): Promise<Map<string, Uint8Array>> {
  const rows = await q.query<{ level: number; idx: number; hash: Uint8Array }>(
    'SELECT n.level, n.idx, n.hash FROM audit_nodes n JOIN unnest($2::integer[], $3::bigint[]) AS w(level, idx) ON n.level = w.level AND n.idx = w.idx WHERE n.tenant_id = $1',
    [tenantId, wanted.map((w) => w.level), wanted.map((w) => w.idx)],
  );
  return new Map(rows.map((r) => [`${r.level}/${Number(r.idx)}`, new Uint8Array(r.hash)]));
}

/** Runs `compute` over the tree of `size` leaves, fetching exactly the nodes it reads. */
export async function withNodes<T>(q: Sql, tenantId: string, size: number, compute: (source: NodeSource) => T): Promise<T> {
  const wanted = new Map<string, { level: number; idx: number }>();
  const dummy = new Uint8Array(HASH_SIZE);
  compute({
    size,
    node(level, idx) {
      wanted.set(`${level}/${idx}`, { level, idx });
      return dummy;
    },
  });
  const found = wanted.size ? await fetchNodes(q, tenantId, [...wanted.values()]) : new Map<string, Uint8Array>();
  return compute({
    size,
    node(level, idx) {
      const hash = found.get(`${level}/${idx}`);
      if (!hash) throw new SectorCryptError('ERR_AUDIT_TAMPERED', `the audit tree lacks node ${level}/${idx}`);
      return hash;
    },
  });
}

/** MTH of the first `size` leaves. */
export function treeRoot(q: Sql, tenantId: string, size: number): Promise<Uint8Array> {
  return withNodes(q, tenantId, size, (source) => rangeRoot(source, 0, size));
}

/** The frontier at `size` (subtree roots of [0, size), largest first): an export header's. */
export function treeFrontier(q: Sql, tenantId: string, size: number): Promise<Uint8Array[]> {
  return withNodes(q, tenantId, size, (source) => {
    const out: Uint8Array[] = [];
    let at = 0;
    for (let width = 2 ** Math.floor(Math.log2(Math.max(size, 1))); width >= 1; width /= 2) {
      if (at + width > size) continue;
      out.push(source.node(Math.log2(width), at / width));
      at += width;
    }
    return out;
  });
}
