/**
 * How `sectorcrypt broker ...` shows the broker's answers to people (without --json): lists
 * as tables, single objects as `label: value` blocks, tokens shown once on their own line.
 * Each view takes the answer exactly as the HTTP API gives it (CUSTODY.md "HTTP API").
 */
import { formatFields, formatSecret, formatTable, type Style } from './table.js';

export type View = (answer: any, style: Style) => string;

const ID = Infinity;
const fields = (pairs: [string, unknown][]) => (style: Style) => formatFields(pairs, { style });

/** Any object, its keys as labels (the fallback). */
export const objectView: View = (a, style) =>
  a && typeof a === 'object' && !Array.isArray(a) ? formatFields(Object.entries(a as Record<string, unknown>), { style }) : `${JSON.stringify(a, null, 2)}\n`;

export const tenantCreated: View = (a, style) =>
  fields([
    ['tenant', a.tenantId],
    ['admin', a.admin?.userId],
    ['expires', a.admin?.expiresAt],
  ])(style) + formatSecret("the admin's API token", a.admin.token);

/** A new user's or the caller's new token: {userId?, tokenId, token, expiresAt}. */
export const tokenCreated =
  (what: string): View =>
  (a, style) => {
    const pairs: [string, unknown][] = [];
    if (a.userId !== undefined) pairs.push(['user', a.userId]);
    pairs.push(['token id', a.tokenId], ['expires', a.expiresAt]);
    return fields(pairs)(style) + formatSecret(what, a.token);
  };

export const usersView: View = (a, style) =>
  formatTable(
    a.users,
    [
      { header: 'USER ID', value: (u: any) => u.userId, max: ID },
      { header: 'NAME', value: (u: any) => u.name },
      { header: 'ROLES', value: (u: any) => u.roles },
      { header: 'CREATED', value: (u: any) => u.createdAt },
    ],
    { style, empty: '(no users)' },
  );

/** One row per key version. */
export const keysView: View = (a, style) =>
  formatTable(
    (a.keys as any[]).flatMap((k) => (k.versions?.length ? k.versions : [{}]).map((v: any) => ({ k, v }))),
    [
      { header: 'KEY ID', value: ({ k }: any) => k.keyId, max: ID },
      { header: 'NAME', value: ({ k }: any) => k.name, max: 24 },
      { header: 'VERSION', value: ({ v }: any) => v.version },
      { header: 'STATE', value: ({ k, v }: any) => (k.destroyed ? 'destroyed' : v.retired ? 'retired' : 'active') },
      { header: 'PUBLIC KEY', value: ({ v }: any) => v.publicKey, max: 20 },
      { header: 'CREATED', value: ({ v }: any) => v.createdAt },
    ],
    { style, empty: '(no keys)' },
  );

export const keyView: View = (a, style) =>
  fields([
    ['key', a.keyId],
    ['version', a.version],
    ['public key', a.publicKey],
  ])(style);

/** An action that waits for a second admin (key destroy, lowering a policy's approvers). */
export const actionPending: View = (a, style) =>
  fields([
    ['action', a.actionId],
    ['expires', a.expiresAt],
  ])(style) + `\nanother admin confirms it with: sectorcrypt broker action confirm ${a.actionId}\n`;

const policyText = (p: any) => JSON.stringify(p, null, 2);

/** A policy written (200) or, when it lowers the approvers, a pending action (202). */
export const policyPut: View = (a, style) => (a.actionId ? actionPending(a, style) : policyView(a, style));

export const policyView: View = (a, style) => fields([['name', a.name], ['updated', a.updatedAt]])(style) + `${policyText(a.policy)}\n`;

export const policiesView: View = (a, style) =>
  a.policies
    ? formatTable(
        a.policies,
        [
          { header: 'NAME', value: (p: any) => p.name, max: ID },
          { header: 'UPDATED', value: (p: any) => p.updatedAt },
          { header: 'POLICY', value: (p: any) => p.policy, max: 60 },
        ],
        { style, empty: '(no policies)' },
      )
    : policyView(a, style);

const deviceColumns = [
  { header: 'DEVICE ID', value: (d: any) => d.deviceId, max: ID },
  { header: 'NAME', value: (d: any) => d.name, max: 32 },
  { header: 'GROUPS', value: (d: any) => d.groups },
  { header: 'ENROLLED', value: (d: any) => d.enrolledAt },
  { header: 'REVOKED', value: (d: any) => d.revokedAt },
];

export const devicesView: View = (a, style) => formatTable(a.devices, deviceColumns, { style, empty: '(no devices)' });

export const deviceView: View = (a, style) =>
  fields([
    ['device', a.deviceId],
    ['name', a.name],
    ['groups', a.groups],
    ['enrolled', a.enrolledAt],
    ['revoked', a.revokedAt],
  ])(style);

export const requestsView: View = (a, style) =>
  formatTable(
    a.requests,
    [
      { header: 'REQUEST ID', value: (r: any) => r.requestId, max: ID },
      { header: 'STATUS', value: (r: any) => r.status },
      { header: 'DEVICE', value: (r: any) => r.deviceId, max: ID },
      { header: 'KEY', value: (r: any) => `${r.keyId}/${r.version}`, max: ID },
      { header: 'RESOURCE', value: (r: any) => r.resource, max: 32 },
      { header: 'APPROVALS', value: (r: any) => (r.approversNeeded ? `${r.approvals}/${r.approversNeeded}` : '-') },
      { header: 'EXPIRES', value: (r: any) => r.expiresAt },
    ],
    { style, empty: '(no requests)' },
  );

export const requestView: View = (a, style) =>
  fields([
    ['request', a.requestId],
    ['status', a.status],
    ['device', a.deviceId],
    ['key', `${a.keyId}/${a.version}`],
    ['resource', a.resource],
    ['policy', a.policy],
    ['approvals', a.approversNeeded ? `${a.approvals} of ${a.approversNeeded}` : null],
    ['claims', a.claims],
    ['created', a.createdAt],
    ['expires', a.expiresAt],
  ])(style);

export const auditRecordsView: View = (a, style) =>
  formatTable(
    a.records,
    [
      { header: 'SEQ', value: (r: any) => r.seq },
      { header: 'TIME', value: (r: any) => r.time },
      { header: 'ACTOR', value: (r: any) => r.actor, max: ID },
      { header: 'ACTION', value: (r: any) => r.action },
      { header: 'TARGET', value: (r: any) => r.target, max: 32 },
      { header: 'OUTCOME', value: (r: any) => r.outcome },
      { header: 'REQUEST', value: (r: any) => r.requestId, max: ID },
    ],
    { style, empty: '(no records)' },
  );

export const checkpointView: View = (a, style) => fields([['size', a.size], ['verifier key', a.verifierKey]])(style) + `\n${a.checkpoint.endsWith('\n') ? a.checkpoint : `${a.checkpoint}\n`}`;

export const proofView: View = (a, style) =>
  fields(
    a.leafHash !== undefined
      ? [
          ['leaf index', a.leafIndex],
          ['tree size', a.treeSize],
          ['leaf hash', a.leafHash],
          ['hashes', a.hashes],
        ]
      : [
          ['from size', a.fromSize],
          ['to size', a.toSize],
          ['hashes', a.hashes],
        ],
  )(style);

export const archiveView: View = (a, style) =>
  fields([
    ['archived', a.archived],
    ['records', a.end > a.start ? `seq ${a.start} to ${a.end - 1}` : null],
    ['older than', a.before],
    ['files', a.files],
  ])(style);
