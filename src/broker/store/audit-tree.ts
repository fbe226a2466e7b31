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
export function addLeaf(q: Sql, tenantId: string, seq: number, leaf: Uint8Array): Promise<void> {
  return addLeaves(q, tenantId, seq, [leaf]);
}

/**
 * Stores leaves `first`, `first + 1`, ... and every parent they complete, in one statement.
 * The tree of `first` leaves is a stack of perfect subtrees, one per set bit of `first`
 * (largest first); each new leaf is pushed and merged with its left neighbours while they
 * are the same size, like a binary counter's carry.
 */
export async function addLeaves(q: Sql, tenantId: string, first: number, leaves: Uint8Array[]): Promise<void> {
  if (leaves.length === 0) return;
  // The frontier: at most log2(first) + 1 nodes, read in one query.
  const frontier: { level: number; idx: number }[] = [];
  for (let level = 0; 2 ** level <= first; level++) {
    if (Math.floor(first / 2 ** level) % 2 === 1) frontier.push({ level, idx: Math.floor(first / 2 ** level) - 1 });
  }
  const found = frontier.length ? await fetchNodes(q, tenantId, frontier) : new Map<string, Uint8Array>();
  const stack: { level: number; idx: number; hash: Uint8Array }[] = [];
  for (const f of frontier.reverse()) {
    const hash = found.get(`${f.level}/${f.idx}`);
    if (hash) stack.push({ ...f, hash });
    else stack.length = 0; // missing: an error below if and only if a carry reaches it
  }
  const levels: number[] = [];
  const idxs: number[] = [];
  const hashes: Buffer[] = [];
  leaves.forEach((leaf, i) => {
    let node = { level: 0, idx: first + i, hash: leaf };
    levels.push(0);
    idxs.push(node.idx);
    hashes.push(Buffer.from(leaf));
    while (node.idx % 2 === 1) {
      const left = stack.pop();
      if (!left || left.level !== node.level || left.idx !== node.idx - 1) {
        throw new SectorCryptError('ERR_AUDIT_TAMPERED', `the audit tree lacks node ${node.level}/${node.idx - 1}`);
      }
      node = { level: node.level + 1, idx: left.idx / 2, hash: nodeHash(left.hash, node.hash) };
      levels.push(node.level);
      idxs.push(node.idx);
      hashes.push(Buffer.from(node.hash));
    }
    stack.push(node);
  });
  await q.query('INSERT INTO audit_nodes (tenant_id, level, idx, hash) SELECT $1, * FROM unnest($2::integer[], $3::bigint[], $4::bytea[])', [
    tenantId,
    levels,
    idxs,
    hashes,
  ]);
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
