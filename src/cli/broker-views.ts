/**
 * How `sectorcrypt broker ...` shows the broker's answers to people (without --json): lists
 * as tables, single objects as `label: value` blocks, tokens shown once on their own line.
 * Each view takes the answer as the HTTP API gives it (docs/broker.md "Errors"); the types
 * below name only the fields a view reads.
 */
import type {
  ActionAnswer as Action,
  AuditRecordAnswer as AuditRecord,
  ConsistencyProofAnswer as ConsistencyProof,
  DeviceAnswer as Device,
  ExpiryAnswer as Expiry,
  InclusionProofAnswer as InclusionProof,
  InvitationAnswer as Invitation,
  KeyAnswer as Key,
  PendingActionAnswer as Pending,
  PolicyAnswer as Policy,
  PublicKeyAnswer as PublicKey,
  ReleaseRequestAnswer,
  SeparationAnswer as Separation,
  TokenAnswer as TokenRow,
  UserAnswer as User,
  XksCredentialAnswer as XksCredential,
  XksKeystoreAnswer as XksKeystore,
} from '../protocol/answers.js';
import { formatFields, formatSecret, formatTable, type Column, type Style } from './table.js';

export type View<T> = (answer: T, style: Style) => string;

type Request = ReleaseRequestAnswer;
interface NewToken {
  userId?: string;
  tokenId?: string;
  token: string;
  expiresAt?: string;
}
interface Archive {
  start: number;
  end: number;
  before: string;
  archived: number;
  files: string[];
}

/** Ids are never cut: they are what the next command takes. */
const ID = Infinity;

/** Any object, its keys as labels (the fallback). */
export const objectView: View<unknown> = (a, style) =>
  a !== null && typeof a === 'object' && !Array.isArray(a) ? formatFields(Object.entries(a), { style }) : `${JSON.stringify(a, null, 2)}\n`;

/** An invitation: its user redeems it with `sectorcrypt broker invitation redeem`. */
function invitationLines(inv: Invitation): string {
  return (
    formatSecret('the invitation code: give it to the user, who redeems it for their own token', inv.code) +
    `\nit works once, until ${inv.expiresAt}: sectorcrypt broker invitation redeem --url URL --ca CA\n`
  );
}

export const tenantCreated: View<{ tenantId: string; admin: { userId: string; invitation: Invitation } }> = (a, style) =>
  formatFields(
    [
      ['tenant', a.tenantId],
      ['admin', a.admin.userId],
    ],
    { style },
  ) + invitationLines(a.admin.invitation);

/** A new user (or a new invitation for one); a grant that waits for a second admin. */
export const invitationCreated: View<
  { userId: string; roles?: string[]; invitation?: Invitation; pending?: Pending } & Partial<Pending>
> = (a, style) => {
  if (!a.invitation) return actionPending(a as Pending, style);
  const pairs: [string, unknown][] = [['user', a.userId]];
  if (a.roles) pairs.push(['roles', a.roles.length ? a.roles : '(none yet)']);
  let out = formatFields(pairs, { style }) + invitationLines(a.invitation);
  if (a.pending) out += `\n${a.pending.reason ?? 'the grant'} waits for a second admin:\n` + actionPending(a.pending, style);
  return out;
};

/** The answer, or the action it became when it waits for a second admin. */
export const objectOrPending: View<unknown> = (a, style) =>
  a !== null && typeof a === 'object' && 'actionId' in a && !('status' in a) ? actionPending(a as Pending, style) : objectView(a, style);

export const healthView: View<{
  status: string;
  store: string;
  certificate?: { server: Expiry; ca: Expiry; warnings: string[] };
  tenantId?: string;
  separation?: Separation;
}> = (a, style) => {
  const pairs: [string, unknown][] = [
    ['status', a.status],
    ['store', a.store],
  ];
  const c = a.certificate;
  if (c)
    pairs.push(
      ['server certificate', `until ${c.server.notAfter} (${c.server.daysLeft} days)`],
      ['CA certificate', `until ${c.ca.notAfter} (${c.ca.daysLeft} days)`],
    );
  const s = a.separation;
  if (s) {
    pairs.push(['tenant', a.tenantId], ['admins', `${s.admins} (${s.vouchedAdmins} vouched)`], ['two-person rules', s.twoPersonRules]);
    if (s.unvouched.length)
      pairs.push(['granted by one admin alone', s.unvouched.map((u) => `${u.name} (${u.roles.join(', ')})`).join('; ')]);
  }
  let out = formatFields(pairs, { style });
  for (const w of c?.warnings ?? []) out += `\nwarning: ${w}\n`;
  if (s && s.twoPersonRules !== 'enforced') {
    out +=
      '\nwarning: this tenant has fewer than two vouched admins: one admin alone can weaken release rules and grant roles.' +
      '\nThe operator invites a second admin with `sectorcrypt broker tenant invite-admin`.\n';
  }
  return out;
};

/** A user's tokens (admin), or the caller's own (with the one in use marked). */
export const tokensView: View<{ tokens: TokenRow[] }> = (a, style) => {
  const columns: Column<TokenRow>[] = [
    { header: 'TOKEN ID', value: (t) => t.tokenId, max: ID },
    { header: 'CREATED', value: (t) => t.createdAt },
    { header: 'EXPIRES', value: (t) => t.expiresAt },
    { header: 'REVOKED', value: (t) => t.revokedAt ?? '' },
  ];
  if (a.tokens.some((t) => t.current !== undefined)) columns.push({ header: 'IN USE', value: (t) => (t.current ? 'this one' : '') });
  return formatTable(a.tokens, columns, { style, empty: '(no tokens)' });
};

export const actionsView: View<{ actions: Action[] }> = (a, style) =>
  formatTable(
    a.actions,
    [
      { header: 'ACTION ID', value: (x) => x.actionId, max: ID },
      { header: 'KIND', value: (x) => x.kind },
      { header: 'TARGET', value: (x) => x.target, max: ID },
      { header: 'ASKED BY', value: (x) => x.requestedBy, max: ID },
      { header: 'WHY', value: (x) => x.reason ?? '' },
      { header: 'EXPIRES', value: (x) => x.expiresAt },
    ],
    { style, empty: '(nothing waits for a second admin)' },
  );

export const actionConfirmed: View<{ actionId: string; kind: string; target: string; status: string; invitation?: Invitation }> = (
  a,
  style,
) =>
  formatFields(
    [
      ['action', a.actionId],
      ['kind', a.kind],
      ['target', a.target],
      ['status', a.status],
    ],
    { style },
  ) + (a.invitation ? invitationLines(a.invitation) : '');

/** A new user's token, the caller's new token or an enrollment token. */
export const tokenCreated =
  (what: string): View<NewToken> =>
  (a, style) => {
    const pairs: [string, unknown][] = [];
    if (a.userId !== undefined) pairs.push(['user', a.userId]);
    pairs.push(['token id', a.tokenId], ['expires', a.expiresAt]);
    return formatFields(pairs, { style }) + formatSecret(what, a.token);
  };

export const usersView: View<{ users: User[] }> = (a, style) => {
  const columns: Column<User>[] = [
    { header: 'USER ID', value: (u) => u.userId, max: ID },
    { header: 'NAME', value: (u) => u.name },
    { header: 'ROLES', value: (u) => u.roles },
    // Granted by the operator or confirmed by a second admin (docs/broker.md "Separation of duties").
    { header: 'VOUCHED', value: (u) => (u.vouched ? 'yes' : 'no') },
    { header: 'CREATED', value: (u) => u.createdAt },
  ];
  if (a.users.some((u) => u.disabledAt)) columns.push({ header: 'DISABLED', value: (u) => u.disabledAt ?? '' });
  return formatTable(a.users, columns, { style, empty: '(no users)' });
};

/** One row per key version. */
export const keysView: View<{ keys: Key[] }> = (a, style) => {
  const rows = a.keys.flatMap((k) => k.versions.map((v) => ({ k, v })));
  const columns: Column<(typeof rows)[number]>[] = [
    { header: 'KEY ID', value: ({ k }) => k.keyId, max: ID },
    { header: 'NAME', value: ({ k }) => k.name, max: 24 },
    { header: 'VERSION', value: ({ v }) => v.version },
    {
      header: 'STATE',
      value: ({ k, v }) => (k.destroyed ? 'destroyed' : v.retired ? 'retired' : k.disabled ? 'disabled' : 'active'),
    },
    {
      header: 'PUBLIC KEY',
      value: ({ k, v }) => (k.type === 'aes256' ? `(aes256: ${k.usage?.join(',') || 'no usage'})` : v.publicKey),
      max: 20,
    },
    { header: 'CREATED', value: ({ v }) => v.createdAt },
  ];
  return formatTable(rows, columns, { style, empty: '(no keys)' });
};

export const keyView: View<PublicKey & { type?: string; usage?: string[] }> = (a, style) =>
  formatFields(
    a.type === 'aes256'
      ? [
          ['key', a.keyId],
          ['type', 'aes256 (XKS; the key id is the externalKeyId)'],
          ['usage', a.usage?.length ? a.usage.join(', ') : '(none)'],
        ]
      : [
          ['key', a.keyId],
          ['version', a.version],
          ['public key', a.publicKey],
        ],
    { style },
  );

/** A keystore's new credential: the values of KMS's CreateCustomKeyStore (docs/xks.md), the secret once. */
export const xksCredentialView: View<XksCredential> = (a, style) =>
  formatFields(
    [
      ['keystore', a.keystoreId],
      ['XksProxyUriPath', a.uriPath],
      ['AccessKeyId', a.accessKeyId],
    ],
    { style },
  ) + formatSecret('RawSecretAccessKey: give it to AWS KMS (CreateCustomKeyStore or UpdateCustomKeyStore)', a.secretAccessKey);

export const xksKeystoresView: View<{ keystores: XksKeystore[] }> = (a, style) =>
  formatTable(
    a.keystores,
    [
      { header: 'KEYSTORE ID', value: (k) => k.keystoreId, max: ID },
      { header: 'NAME', value: (k) => k.name, max: 24 },
      { header: 'STATE', value: (k) => (k.enabled ? 'enabled' : 'disabled') },
      { header: 'URI PATH', value: (k) => k.uriPath, max: ID },
      { header: 'LIVE ACCESS KEY IDS', value: (k) => k.credentials.filter((c) => c.retiredAt === null).map((c) => c.accessKeyId), max: ID },
      { header: 'MTLS SUBJECT CN', value: (k) => (k.mtls ? k.mtls.subjectCommonName : 'off'), max: 40 },
    ],
    { style, empty: '(no keystores)' },
  );

/** An action that waits for a second admin (key destroy, lowering a policy's approvers). */
export const actionPending: View<Pending> = (a, style) =>
  formatFields(
    [
      ['action', a.actionId],
      ['expires', a.expiresAt],
    ],
    { style },
  ) + `${a.reason ? `\nwhy: ${a.reason}` : ''}\nanother admin confirms it with: sectorcrypt broker action confirm ${a.actionId}\n`;

export const policyView: View<Policy> = (a, style) =>
  formatFields(
    [
      ['name', a.name],
      ['updated', a.updatedAt],
    ],
    { style },
  ) + `${JSON.stringify(a.policy, null, 2)}\n`;

/** A policy written (200) or, when it lowers the approvers, a pending action (202). */
export const policyPut: View<Policy | Pending> = (a, style) => ('actionId' in a ? actionPending(a, style) : policyView(a, style));

/** All policies, or the one asked for. */
export const policiesView: View<{ policies: Policy[] } | Policy> = (a, style) =>
  'policies' in a
    ? formatTable(
        a.policies,
        [
          { header: 'NAME', value: (p) => p.name, max: ID },
          { header: 'UPDATED', value: (p) => p.updatedAt },
          { header: 'POLICY', value: (p) => p.policy, max: 60 },
        ],
        { style, empty: '(no policies)' },
      )
    : policyView(a, style);

export const devicesView: View<{ devices: Device[] }> = (a, style) =>
  formatTable(
    a.devices,
    [
      { header: 'DEVICE ID', value: (d) => d.deviceId, max: ID },
      { header: 'NAME', value: (d) => d.name, max: 32 },
      { header: 'GROUPS', value: (d) => d.groups },
      { header: 'ENROLLED', value: (d) => d.enrolledAt },
      { header: 'REVOKED', value: (d) => d.revokedAt },
    ],
    { style, empty: '(no devices)' },
  );

export const deviceView: View<Device> = (a, style) =>
  formatFields(
    [
      ['device', a.deviceId],
      ['name', a.name],
      ['groups', a.groups],
      ['enrolled', a.enrolledAt],
      ['revoked', a.revokedAt],
    ],
    { style },
  );

export const requestsView: View<{ requests: Request[] }> = (a, style) =>
  formatTable(
    a.requests,
    [
      { header: 'REQUEST ID', value: (r) => r.requestId, max: ID },
      { header: 'STATUS', value: (r) => r.status },
      { header: 'DEVICE', value: (r) => r.deviceId, max: ID },
      { header: 'KEY', value: (r) => `${r.keyId}/${r.version}`, max: ID },
      { header: 'RESOURCE', value: (r) => r.resource, max: 32 },
      { header: 'APPROVALS', value: (r) => (r.approversNeeded ? `${r.approvals}/${r.approversNeeded}` : null) },
      {
        header: 'DECIDED BY',
        value: (r) => (r.votes ?? []).map((v) => `${v.name} ${v.decision === 'approve' ? 'approved' : 'denied'}`).join(', '),
        max: 40,
      },
      { header: 'EXPIRES', value: (r) => r.expiresAt },
    ],
    { style, empty: '(no requests)' },
  );

export const requestView: View<Request> = (a, style) =>
  formatFields(
    [
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
      ['decided', a.decidedAt ?? null],
      [
        'votes',
        (a.votes ?? []).map(
          (v) => `${v.at} ${v.name} (${v.userId}) ${v.decision === 'approve' ? 'approved' : 'denied'}${v.comment ? `: ${v.comment}` : ''}`,
        ),
      ],
    ],
    { style },
  );

export const auditRecordsView: View<{ records: AuditRecord[] }> = (a, style) =>
  formatTable(
    a.records,
    [
      { header: 'SEQ', value: (r) => r.seq },
      { header: 'TIME', value: (r) => r.time },
      { header: 'ACTOR', value: (r) => r.actor, max: ID },
      { header: 'ACTION', value: (r) => r.action },
      { header: 'TARGET', value: (r) => r.target, max: 32 },
      { header: 'OUTCOME', value: (r) => r.outcome },
      { header: 'REQUEST', value: (r) => r.requestId, max: ID },
    ],
    { style, empty: '(no records)' },
  );

/** The fields, then the signed note exactly as served (it is what `--checkpoint` files hold). */
export const checkpointView: View<{ size: number; verifierKey: string; checkpoint: string }> = (a, style) =>
  formatFields(
    [
      ['size', a.size],
      ['verifier key', a.verifierKey],
    ],
    { style },
  ) + `\n${a.checkpoint.endsWith('\n') ? a.checkpoint : `${a.checkpoint}\n`}`;

export const proofView: View<InclusionProof | ConsistencyProof> = (a, style) =>
  formatFields(
    'leafHash' in a
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
    { style },
  );

export const archiveView: View<Archive> = (a, style) =>
  formatFields(
    [
      ['archived', a.archived],
      ['records', a.end > a.start ? `seq ${a.start} to ${a.end - 1}` : null],
      ['older than', a.before],
      ['files', a.files],
    ],
    { style },
  );

export const tenantsView: View<{ tenants: { tenantId: string; name: string; createdAt: string }[] }> = (a, style) =>
  formatTable(
    a.tenants,
    [
      { header: 'TENANT ID', value: (t) => t.tenantId, max: ID },
      { header: 'NAME', value: (t) => t.name },
      { header: 'CREATED', value: (t) => t.createdAt },
    ],
    { style, empty: '(no tenants)' },
  );

export const enrollTokensView: View<{
  tokens: { tokenId: string; groups: string[]; usesLeft: number; state: string; createdBy: string; expiresAt: string }[];
}> = (a, style) =>
  formatTable(
    a.tokens,
    [
      { header: 'TOKEN ID', value: (t) => t.tokenId, max: ID },
      { header: 'GROUPS', value: (t) => t.groups },
      { header: 'USES LEFT', value: (t) => t.usesLeft },
      { header: 'STATE', value: (t) => t.state },
      { header: 'MADE BY', value: (t) => t.createdBy, max: ID },
      { header: 'EXPIRES', value: (t) => t.expiresAt },
    ],
    { style, empty: '(no usable enrollment tokens; --all lists spent, expired and revoked ones too)' },
  );

export const issuersView: View<{
  issuers: {
    name: string;
    kind: string;
    issuer?: string;
    audience?: string;
    jwksUri?: string;
    keys?: number;
    certificates?: number;
    createdAt: string;
  }[];
}> = (a, style) =>
  formatTable(
    a.issuers,
    [
      { header: 'NAME', value: (i) => i.name, max: ID },
      { header: 'KIND', value: (i) => i.kind },
      { header: 'ISSUER', value: (i) => i.issuer ?? null, max: 40 },
      { header: 'AUDIENCE', value: (i) => i.audience ?? null, max: 24 },
      {
        header: 'KEYS',
        value: (i) =>
          i.jwksUri
            ? i.jwksUri
            : i.keys !== undefined
              ? `${i.keys} inline`
              : i.certificates !== undefined
                ? `${i.certificates} certificates`
                : '',
        max: 40,
      },
      { header: 'CREATED', value: (i) => i.createdAt },
    ],
    { style, empty: '(no trusted issuers)' },
  );
