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
import type { Sql } from '../store/types.js';

/** Stores leaf `seq` and every parent whose right child it completes (RFC 9162 2.1.1). */
export async function addLeaf(q: Sql, tenantId: string, seq: number, leaf: Uint8Array): Promise<void> {
  const nodes = extendTree(seq, await fetchNodes(q, tenantId, frontierOf(seq)), [leaf]);
  await q.query(`INSERT INTO audit_nodes (tenant_id, level, idx, hash) ${NODES_FROM_ARRAYS}`, [
    tenantId,
    nodes.levels,
    nodes.idxs,
    nodes.hashes,
  ]);
}

/** The rows extendTree adds, as arrays for NODES_FROM_ARRAYS. */
export interface NewNodes {
  levels: number[];
  idxs: number[];
  hashes: Buffer[];
}

/** `SELECT` of audit_nodes rows from $1 (tenant) and the arrays $2, $3, $4 of NewNodes. */
export const NODES_FROM_ARRAYS = 'SELECT $1, * FROM unnest($2::integer[], $3::bigint[], $4::bytea[])';

/**
 * The tree of `size` leaves is a stack of perfect subtrees, one per set bit of `size`,
 * largest first: these are their (level, idx), at most log2(size) + 1 of them.
 */
export function frontierOf(size: number): { level: number; idx: number }[] {
  const out: { level: number; idx: number }[] = [];
  for (let level = 0; 2 ** level <= size; level++) {
    const above = Math.floor(size / 2 ** level);
    if (above % 2 === 1) out.push({ level, idx: above - 1 });
  }
  return out.reverse();
}

/** Parses the frontier as sc_audit_take returns it (JSON, hashes in hex) into the map extendTree reads. */
export function frontierFromJson(rows: { level: number; idx: number | string; hash: string }[]): Map<string, Uint8Array> {
  return new Map(rows.map((r) => [`${r.level}/${Number(r.idx)}`, new Uint8Array(Buffer.from(r.hash, 'hex'))]));
}

/**
 * The nodes that leaves `first`, `first + 1`, ... add to the tree of `first` leaves: each
 * leaf, and every parent it completes (RFC 9162 section 2.1.1), found by pushing the leaf on
 * the frontier's stack and merging while its left neighbour is the same size, like a binary
 * counter's carry. `frontier` holds the nodes of frontierOf(first) by "level/idx".
 */
export function extendTree(first: number, frontier: Map<string, Uint8Array>, leaves: Uint8Array[]): NewNodes {
  const stack: { level: number; idx: number; hash: Uint8Array }[] = [];
  for (const f of frontierOf(first)) {
    const hash = frontier.get(`${f.level}/${f.idx}`);
    if (hash) stack.push({ ...f, hash });
    else stack.length = 0; // missing: an error below if and only if a carry reaches it
  }
  const out: NewNodes = { levels: [], idxs: [], hashes: [] };
  leaves.forEach((leaf, i) => {
    let node = { level: 0, idx: first + i, hash: leaf };
    out.levels.push(0);
    out.idxs.push(node.idx);
    out.hashes.push(Buffer.from(leaf));
    while (node.idx % 2 === 1) {
      const left = stack.pop();
      if (!left || left.level !== node.level || left.idx !== node.idx - 1) {
        throw new SectorCryptError('ERR_AUDIT_TAMPERED', `the audit tree lacks node ${node.level}/${node.idx - 1}`);
      }
      node = { level: node.level + 1, idx: left.idx / 2, hash: nodeHash(left.hash, node.hash) };
      out.levels.push(node.level);
      out.idxs.push(node.idx);
      out.hashes.push(Buffer.from(node.hash));
    }
    stack.push(node);
  });
  return out;
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
