/**
 * `sectorcrypt broker <tenant|user|token|key|policy|device|enroll-token|request|issuer|audit|action|xks> ...`:
 * thin clients of a running broker's HTTP API (docs/broker.md "Managing a running broker from the command line"). The connection
 * comes from --url, --ca, --token or SECTORCRYPT_BROKER_URL / _CA / _TOKEN. Answers are
 * printed as JSON (one line with --json, indented otherwise).
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { SectorCryptError } from '../errors.js';
import { registerAuditArchive } from './broker-audit.js';
import { registerAuditExport } from './broker-audit-export.js';
import { getPassphrase } from './passphrase.js';
import { withFsErrors } from '../fs-errors.js';
import * as views from './broker-views.js';
import type { View } from './broker-views.js';
import { call, connected, print, type Conn } from './broker-client.js';
import { collect, integer, repeated, seconds } from './args.js';
import { actionArgs } from './subcommand.js';

/** A JSON file for the broker; its name and the parser's complaint when it is not JSON. */
async function readJsonFile(file: string, what: string): Promise<unknown> {
  const text = await withFsErrors(file, `read ${what}`, () => readFile(file, 'utf8'));
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new SectorCryptError('ERR_ARGUMENT', `${what} ${file} is not JSON: ${(err as Error).message}`);
  }
}

/** An invitation code from a file, standard input or the terminal: never from argv. */
async function readInvitationCode(file: string | undefined): Promise<string> {
  const bytes = file === '-' ? new Uint8Array(await readStdin()) : await getPassphrase(file, 'Invitation code: ');
  const code = Buffer.from(bytes).toString('utf8').trim();
  bytes.fill(0);
  if (!/^sci_[A-Za-z0-9_-]+$/.test(code)) throw new SectorCryptError('ERR_ARGUMENT', 'that is not an invitation code (sci_...)');
  return code;
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const id = (s: string) => encodeURIComponent(s);
const seqArg = integer('<seq>', { what: 'a seq' });
const treeSize = (name: string) => integer(name, { what: 'a tree size' });

type Action = (conn: Conn & Record<string, unknown>, ...args: string[]) => Promise<unknown>;

/** `view` shows the answer to people; the answer's shape is the API's (src/protocol/answers.ts). */
function sub<T>(parent: Command, spec: string, description: string, action: Action, view: View<T>, extra?: (c: Command) => Command): void {
  let cmd = connected(parent.command(spec).description(description));
  if (extra) cmd = extra(cmd);
  cmd.action(async (...args: unknown[]) => {
    const { positional, flags } = actionArgs<Conn & Record<string, unknown>>(args);
    print(flags, (await action(flags, ...positional)) as T, view);
  });
}

export function registerBrokerManagement(broker: Command): void {
  sub(
    broker,
    'health',
    "the broker's health; with a tenant user's token, whether the tenant enforces two-person rules",
    (c) => call(c, 'GET', '/v1/health'),
    views.healthView,
  );

  const tenant = broker.command('tenant').description('tenants (operator)');
  sub(
    tenant,
    'create <name>',
    'create a tenant and invite its first admin (the invitation is shown once)',
    (c, name) => call(c, 'POST', '/v1/tenants', { name, admin: { name: c.admin } }),
    views.tenantCreated,
    (x) => x.requiredOption('--admin <name>', "the first admin's name"),
  );
  sub(tenant, 'list', 'list tenants', (c) => call(c, 'GET', '/v1/tenants'), views.tenantsView);
  sub(
    tenant,
    'invite-admin <tenantId>',
    'invite another admin, a second person the first admin did not make (shown once)',
    (c, t) => call(c, 'POST', `/v1/tenants/${id(t!)}/admins`, { name: c.name }),
    views.invitationCreated,
    (x) => x.requiredOption('--name <name>', "the admin's name"),
  );

  const user = broker.command('user').description('users of a tenant (admin)');
  sub(
    user,
    'create <name>',
    'create a user with roles and an invitation for them (shown once)',
    (c, name) => call(c, 'POST', '/v1/users', { name, roles: c.role }),
    views.invitationCreated,
    (x) => x.requiredOption('--role <role>', 'admin, approver or auditor (repeatable)', collect, []),
  );
  sub(
    user,
    'list',
    'list users',
    (c) => call(c, 'GET', `/v1/users${c.all ? '?all=true' : ''}`),
    views.usersView,
    (x) => x.option('--all', 'disabled users too'),
  );
  sub(
    user,
    'roles <userId>',
    "replace a user's roles (never admin with approver; none: --role none)",
    (c, u) => call(c, 'POST', `/v1/users/${id(u!)}/roles`, { roles: (c.role as string[]).filter((r) => r !== 'none') }),
    views.objectOrPending,
    (x) => x.requiredOption('--role <role>', 'admin, approver, auditor or none (repeatable)', collect, []),
  );
  sub(
    user,
    'disable <userId>',
    'disable a user: every token, session and invitation stops at once',
    (c, u) => call(c, 'POST', `/v1/users/${id(u!)}/disable`),
    views.objectOrPending,
  );
  sub(user, 'tokens <userId>', "list a user's tokens", (c, u) => call(c, 'GET', `/v1/users/${id(u!)}/tokens`), views.tokensView);
  sub(
    user,
    'revoke-tokens <userId>',
    'revoke every token and session of a user',
    (c, u) => call(c, 'POST', `/v1/users/${id(u!)}/tokens/revoke`),
    views.objectView,
  );
  sub(
    user,
    'invite <userId>',
    "a new invitation for a user; the user's tokens stop (shown once)",
    (c, u) => call(c, 'POST', `/v1/users/${id(u!)}/invitation`, {}),
    views.invitationCreated,
  );

  const invitation = broker.command('invitation').description('invitations');
  sub(
    invitation,
    'redeem',
    'exchange your invitation code for your own API token (shown once)',
    async (c) => {
      const code = await readInvitationCode(c.codeFile as string | undefined);
      return call(c, 'POST', '/v1/invitations/redeem', { code }, true);
    },
    views.tokenCreated('your API token'),
    (x) =>
      x.option('--code-file <file>', 'the file holding the invitation code (- for standard input); asked for on the terminal otherwise'),
  );

  const token = broker.command('token').description('API tokens');
  sub(token, 'list', "the caller's tokens", (c) => call(c, 'GET', '/v1/tokens'), views.tokensView);
  sub(
    token,
    'create',
    'a new token for the caller (shown once)',
    (c) => call(c, 'POST', '/v1/tokens', {}),
    views.tokenCreated('the new API token'),
  );
  sub(
    token,
    'revoke <tokenId>',
    'revoke one of your tokens (an admin: any of the tenant)',
    (c, k) => call(c, 'POST', `/v1/tokens/${id(k!)}/revoke`),
    views.objectView,
  );

  const key = broker.command('key').description('broker keys (admin)');
  sub(
    key,
    'create <name>',
    'make a broker key (--type aes256 --usage ENCRYPT,DECRYPT: an XKS key, docs/xks.md)',
    (c, name) =>
      call(c, 'POST', '/v1/keys', {
        name,
        ...(c.type ? { type: c.type } : {}),
        ...(c.usage !== undefined ? { usage: (c.usage as string).split(',').filter((u) => u !== '') } : {}),
      }),
    views.keyView,
    (x) =>
      x
        .option('--type <type>', 'x25519 (a release key, the default) or aes256 (an XKS key)')
        .option('--usage <list>', 'an aes256 key: ENCRYPT, DECRYPT, both (comma-separated) or "" for none'),
  );
  sub(
    key,
    'disable <keyId>',
    "an XKS key's kill switch: KMS is refused at once",
    (c, k) => call(c, 'POST', `/v1/keys/${id(k!)}/disable`),
    views.objectView,
  );
  sub(key, 'enable <keyId>', 'undo disable', (c, k) => call(c, 'POST', `/v1/keys/${id(k!)}/enable`), views.objectView);
  sub(key, 'list', 'list keys and versions', (c) => call(c, 'GET', '/v1/keys'), views.keysView);
  sub(key, 'public <keyId>', 'the newest public key', (c, k) => call(c, 'GET', `/v1/keys/${id(k!)}/public`), views.keyView);
  sub(key, 'rotate <keyId>', 'make a new version', (c, k) => call(c, 'POST', `/v1/keys/${id(k!)}/rotate`), views.keyView);
  sub(
    key,
    'retire <keyId>',
    'retire an old version',
    (c, k) => call(c, 'POST', `/v1/keys/${id(k!)}/retire`, { version: c.version }),
    views.objectView,
    (x) => x.requiredOption('--version <n>', 'the version to retire', integer('--version', { min: 1 })),
  );
  sub(
    key,
    'destroy <keyId>',
    'ask to destroy a key (a second admin confirms with `broker action confirm`)',
    (c, k) => call(c, 'POST', `/v1/keys/${id(k!)}/destroy`),
    views.actionPending,
  );

  // AWS KMS external key stores (docs/xks.md).
  const keystore = broker
    .command('xks')
    .description('AWS KMS external key stores (admin)')
    .command('keystore')
    .description('XKS keystores');
  sub(
    keystore,
    'create <name>',
    'make a keystore: its XksProxyUriPath and first credential (the secret is shown once)',
    (c, name) => call(c, 'POST', '/v1/xks/keystores', { name }),
    views.xksCredentialView,
  );
  sub(keystore, 'list', 'list keystores and their live access key ids', (c) => call(c, 'GET', '/v1/xks/keystores'), views.xksKeystoresView);
  sub(
    keystore,
    'rotate <keystoreId>',
    'a new credential beside the current one (both verify until one is retired; at most two)',
    (c, k) => call(c, 'POST', `/v1/xks/keystores/${id(k!)}/credentials`),
    views.xksCredentialView,
  );
  sub(
    keystore,
    'retire <keystoreId> <accessKeyId>',
    'stop a credential (once KMS uses the new one)',
    (c, k, a) => call(c, 'POST', `/v1/xks/keystores/${id(k!)}/credentials/${id(a!)}/retire`),
    views.objectView,
  );
  sub(
    keystore,
    'disable <keystoreId>',
    'the kill switch: every KMS call through it is refused at once',
    (c, k) => call(c, 'POST', `/v1/xks/keystores/${id(k!)}/disable`),
    views.objectView,
  );
  sub(keystore, 'enable <keystoreId>', 'undo disable', (c, k) => call(c, 'POST', `/v1/xks/keystores/${id(k!)}/enable`), views.objectView);
  sub(
    keystore,
    'mtls <keystoreId>',
    'mutual TLS: served only over --xks-listen to a client certificate with this subject CN chained to these CAs (--off: SigV4 alone)',
    async (c, k) => {
      const files = c.clientCa as string[];
      if (c.off) {
        if (c.subject !== undefined || files.length)
          throw new SectorCryptError('ERR_ARGUMENT', '--off takes neither --subject nor --client-ca');
        return call(c, 'DELETE', `/v1/xks/keystores/${id(k!)}/mtls`);
      }
      if (c.subject === undefined || !files.length)
        throw new SectorCryptError('ERR_ARGUMENT', 'mutual TLS needs --subject and at least one --client-ca (or --off)');
      const pems = await Promise.all(files.map((f) => withFsErrors(f, 'read the CA certificates', () => readFile(f, 'utf8'))));
      return call(c, 'PUT', `/v1/xks/keystores/${id(k!)}/mtls`, {
        subjectCommonName: c.subject,
        caCertificates: pems.map((p) => p.trim()).join('\n'),
      });
    },
    views.objectView,
    (x) =>
      x
        .option('--subject <cn>', "the client certificate's subject CN, e.g. cks.kms.us-east-1.amazonaws.com")
        .option(
          '--client-ca <file>',
          'CA certificates (PEM) the client chain must end at (repeatable; --ca is the broker connection)',
          collect,
          [],
        )
        .option('--off', 'turn mutual TLS off'),
  );

  const action = broker.command('action').description('actions that need a second admin');
  sub(action, 'list', 'what waits for a second admin', (c) => call(c, 'GET', '/v1/actions'), views.actionsView);
  sub(
    action,
    'confirm <actionId>',
    "confirm another admin's action",
    (c, a) => call(c, 'POST', `/v1/actions/${id(a!)}/confirm`),
    views.actionConfirmed,
  );
  sub(
    action,
    'cancel <actionId>',
    'call off an action that waits',
    (c, a) => call(c, 'POST', `/v1/actions/${id(a!)}/cancel`),
    views.objectView,
  );

  const policy = broker.command('policy').description('release policies (admin)');
  sub(
    policy,
    'put <name> <file>',
    'create or replace a policy from a JSON file',
    async (c, name, file) => call(c, 'PUT', `/v1/policies/${id(name!)}`, await readJsonFile(file!, 'policy file')),
    views.policyPut,
  );
  sub(
    policy,
    'get [name]',
    'one policy, or all of them',
    (c, name) => call(c, 'GET', name ? `/v1/policies/${id(name)}` : '/v1/policies'),
    views.policiesView,
  );
  sub(
    policy,
    'delete <name>',
    'delete a policy (a manual one waits for a second admin where two-person rules hold)',
    (c, name) => call(c, 'DELETE', `/v1/policies/${id(name!)}`),
    views.objectOrPending,
  );

  sub(
    policy,
    'learn',
    "rules that a reference host's verified TPM evidence passes (--device, or --evidence FILE), printed for review: PCR values and the kernel command line as allowlists, IMA files as an allIn allowlist; --merge keeps the versions an earlier fragment allows",
    async (c) => {
      const { learnTpmRules } = await import('../broker/policy/learn.js');
      const { validatePolicy } = await import('../broker/policy/validate.js');
      let tpm: Record<string, unknown> | undefined;
      if (c.evidence && c.device) throw new SectorCryptError('ERR_ARGUMENT', 'give --device or --evidence, not both');
      if (c.evidence) {
        // GET /v1/devices/:id/tpm's answer, its claims, or a release request's claims ({tpm: ...}).
        const j = (await readJsonFile(String(c.evidence), 'evidence file')) as Record<string, any>;
        tpm = j?.verified === true ? j : (j?.tpm ?? j?.claims?.tpm ?? j?.claims);
      } else if (c.device) {
        tpm =
          ((await call(c, 'GET', `/v1/devices/${id(String(c.device))}/tpm`)) as { claims: Record<string, unknown> | null }).claims ??
          undefined;
        if (!tpm)
          throw new SectorCryptError(
            'ERR_NOT_FOUND',
            `device ${String(c.device)} has no verified TPM evidence yet (it has not released with a quote)`,
          );
      } else throw new SectorCryptError('ERR_ARGUMENT', 'give --device <deviceId> or --evidence <file>');
      if (!tpm || typeof tpm !== 'object') throw new SectorCryptError('ERR_ARGUMENT', 'the evidence file holds no tpm claims');
      const merged = c.merge ? ((await readJsonFile(String(c.merge), 'rules file')) as Record<string, unknown>) : undefined;
      let rules;
      try {
        rules = learnTpmRules(tpm, {
          ...((c.pcr as number[]).length ? { pcrs: c.pcr as number[] } : {}),
          ...(merged ? { merge: (merged.rules ?? merged) as never } : {}),
        });
      } catch (err) {
        throw new SectorCryptError('ERR_ARGUMENT', (err as Error).message);
      }
      // The same checks a policy write makes (limits of an allowlist included).
      validatePolicy({ name: 'learned', keys: ['k'], devices: { groups: ['g'] }, rules, approval: { mode: 'auto' } });
      return { rules };
    },
    (a) => `${JSON.stringify(a, null, 2)}\n`,
    (x) =>
      x
        .option('--device <deviceId>', 'the reference device: its last verified TPM evidence, from the broker')
        .option('--evidence <file>', "or: a file of evidence claims (GET /v1/devices/:id/tpm's answer, or a request's claims)")
        .option('--pcr <n>', 'a sha256 PCR whose value to pin (repeatable; default 7)', repeated(integer('--pcr', { max: 23 })), [])
        .option('--merge <file>', 'rules learned before (or a policy): their allowed versions are kept beside the new ones'),
  );

  const device = broker.command('device').description('enrolled devices (admin)');
  sub(device, 'list', 'list devices', (c) => call(c, 'GET', '/v1/devices'), views.devicesView);
  sub(device, 'revoke <deviceId>', 'revoke a device at once', (c, d) => call(c, 'POST', `/v1/devices/${id(d!)}/revoke`), views.deviceView);

  const enroll = broker.command('enroll-token').description('enrollment tokens (admin)');
  sub(
    enroll,
    'create',
    'a one-time (or N-time) enrollment token for groups',
    (c) =>
      call(c, 'POST', '/v1/enrollment-tokens', {
        groups: c.group,
        ...(c.uses !== undefined ? { uses: c.uses } : {}),
        ...(c.expires !== undefined ? { expiresInSeconds: c.expires } : {}),
      }),
    views.tokenCreated('the enrollment token'),
    (x) =>
      x
        .requiredOption('--group <group>', 'a device group (repeatable)', collect, [])
        .option('--uses <n>', 'how many enrollments', integer('--uses', { min: 1 }))
        .option('--expires <seconds>', 'lifetime', seconds('--expires')),
  );
  sub(
    enroll,
    'list',
    'usable enrollment tokens (never the tokens themselves)',
    (c) => call(c, 'GET', `/v1/enrollment-tokens${c.all ? '?all=true' : ''}`),
    views.enrollTokensView,
    (x) => x.option('--all', 'spent, expired and revoked ones too'),
  );
  sub(
    enroll,
    'revoke <tokenId>',
    'revoke an enrollment token before it is used up',
    (c, k) => call(c, 'POST', `/v1/enrollment-tokens/${id(k!)}/revoke`),
    views.objectView,
  );

  const request = broker.command('request').description('release requests (approver)');
  sub(
    request,
    'list',
    'list requests, newest first',
    (c) => call(c, 'GET', `/v1/requests${c.status ? `?status=${id(String(c.status))}` : ''}`),
    views.requestsView,
    (x) => x.option('--status <status>', 'pending, approved, released, denied, expired, or decided (all but pending: the history)'),
  );
  sub(
    request,
    'show <requestId>',
    'one request: claims, trace, who voted and their comments',
    (c, r) => call(c, 'GET', `/v1/requests/${id(r!)}`),
    views.requestView,
  );
  for (const verdict of ['approve', 'deny'] as const) {
    sub(
      request,
      `${verdict} <requestId>`,
      `${verdict} a pending request`,
      (c, r) => call(c, 'POST', `/v1/requests/${id(r!)}/${verdict}`, c.comment === undefined ? {} : { comment: c.comment }),
      views.requestView,
      (x) => x.option('--comment <text>', 'a note kept with your vote and in the audit log'),
    );
  }

  const issuer = broker.command('issuer').description('trusted attestation issuers (admin)');
  sub(issuer, 'list', 'trusted issuers (without their keys)', (c) => call(c, 'GET', '/v1/issuers'), views.issuersView);
  sub(
    issuer,
    'add <name>',
    'trust an issuer of attestation JWTs (--issuer, --jwks), the signer of AWS / Azure documents, or a TPM manufacturer CA (--kind, --certificate)',
    async (c, name) => {
      const certificates = c.certificate as string[];
      if (c.kind === 'aws' || c.kind === 'azure' || c.kind === 'tpm') {
        return call(c, 'POST', '/v1/issuers', {
          name,
          kind: c.kind,
          certificates: await Promise.all(certificates.map((f) => readFile(f, 'utf8'))),
        });
      }
      if (!c.issuer || !(c.jwks || c.jwksUri))
        throw new SectorCryptError(
          'ERR_ARGUMENT',
          'a JWT issuer needs --issuer and --jwks or --jwks-uri (or --kind aws|azure with --certificate)',
        );
      const keys = c.jwks
        ? { jwks: await readJsonFile(String(c.jwks), 'JWKS file') }
        : {
            jwksUri: c.jwksUri,
            ...(c.jwksCa ? { jwksCa: await readFile(String(c.jwksCa), 'utf8') } : {}),
            ...(c.allowPrivateNetwork ? { allowPrivateNetwork: true } : {}),
          };
      return call(c, 'POST', '/v1/issuers', { name, issuer: c.issuer, ...(c.audience ? { audience: c.audience } : {}), ...keys });
    },
    views.objectOrPending,
    (x) =>
      x
        .option('--issuer <iss>', "the tokens' iss")
        .option('--jwks <file>', "the issuer's JWKS (JSON)")
        .option('--jwks-uri <url>', "or: where the broker fetches the issuer's JWKS (https://)")
        .option('--jwks-ca <file>', "with --jwks-uri: the CA of that server (PEM), when Node's trust store does not know it")
        .option(
          '--allow-private-network',
          'with --jwks-uri: the server may be on loopback, a private network or link-local (refused otherwise)',
        )
        .option('--audience <aud>', 'the aud the tokens must carry')
        .option('--kind <kind>', 'jwt (default), aws, azure or tpm')
        .option(
          '--certificate <file>',
          'with --kind aws|azure: a PEM certificate that signs the documents; with --kind tpm: a TPM manufacturer CA certificate that EK certificates chain to (repeatable)',
          collect,
          [],
        ),
  );

  const audit = broker.command('audit').description('the audit log (auditor)');
  registerAuditExport(audit);
  sub(
    audit,
    'checkpoint',
    'the signed checkpoint and the log verifier key',
    (c) => call(c, 'GET', '/v1/audit/checkpoint'),
    views.checkpointView,
  );
  sub(
    audit,
    'proof <seq> <size>',
    'an inclusion proof of record seq in the tree of that size',
    (c, seq, size) => call(c, 'GET', `/v1/audit/proof?seq=${seqArg(seq!)}&size=${treeSize('<size>')(size!)}`),
    views.proofView,
  );
  sub(
    audit,
    'consistency <from> <to>',
    'a consistency proof between two tree sizes',
    (c, from, to) => call(c, 'GET', `/v1/audit/consistency?from=${treeSize('<from>')(from!)}&to=${treeSize('<to>')(to!)}`),
    views.proofView,
  );
  registerAuditArchive(audit);
}
