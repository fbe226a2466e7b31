/**
 * `sectorcrypt broker login --tenant NAME` and `broker logout` (docs/broker.md "Signing in from
 * the command line"): the device authorization grant (RFC 8628) through the broker, which asks
 * the tenant's provider for a user code (section 3.2); the person opens the verification URI
 * anywhere and signs in; the CLI polls at the interval, slower after slow_down (section 3.5),
 * and stops on access_denied or expired_token. What is kept is the broker session alone.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { SectorCryptError } from '../errors.js';
import { PinnedHttps, answerError } from '../agent/https.js';
import { readSession, removeSession, writeSession } from './broker-session.js';

interface Flags {
  url?: string;
  ca?: string;
  tenant: string;
  json?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function login(flags: Flags): Promise<void> {
  const url = (flags.url ?? process.env.SECTORCRYPT_BROKER_URL)?.replace(/\/+$/, '');
  const ca = flags.ca ?? process.env.SECTORCRYPT_BROKER_CA;
  if (!url || !ca)
    throw new SectorCryptError('ERR_ARGUMENT', 'give the broker with --url and --ca (or SECTORCRYPT_BROKER_URL and SECTORCRYPT_BROKER_CA)');
  const http = new PinnedHttps(await readFile(ca, 'utf8'));
  try {
    const post = async (path: string, body: unknown) => {
      const a = await http.send(
        'POST',
        `${url}${path}`,
        { 'content-type': 'application/json' },
        new Uint8Array(Buffer.from(JSON.stringify(body))),
      );
      if (a.status >= 400) throw answerError(a);
      return a as { status: number; body: Record<string, unknown> };
    };
    const start = (await post('/v1/oidc/device', { tenant: flags.tenant })).body as {
      handle: string;
      userCode: string;
      verificationUri: string;
      verificationUriComplete?: string;
      interval: number;
      expiresIn: number;
    };
    process.stderr.write(
      `To sign in, open ${start.verificationUri} and enter the code ${start.userCode}\n` +
        (start.verificationUriComplete ? `(or open ${start.verificationUriComplete})\n` : '') +
        `The code expires in ${Math.round(start.expiresIn / 60)} minutes.\n`,
    );
    let interval = start.interval;
    const deadline = Date.now() + start.expiresIn * 1000;
    for (;;) {
      await sleep(interval * 1000);
      if (Date.now() > deadline) throw new SectorCryptError('ERR_EXPIRED', 'the code expired before the sign-in ended');
      const a = await post('/v1/oidc/device/token', { handle: start.handle });
      const b = a.body as {
        status: string;
        interval?: number;
        session?: string;
        expiresAt?: string;
        tenantId?: string;
        userId?: string;
        roles?: string[];
      };
      if (b.status === 'pending') continue;
      if (b.status === 'slow_down') {
        interval = Math.max(interval + 5, b.interval ?? 0);
        continue;
      }
      const file = await writeSession({
        url,
        ca,
        session: b.session!,
        expiresAt: b.expiresAt!,
        ...(b.tenantId ? { tenantId: b.tenantId } : {}),
        ...(b.userId ? { userId: b.userId } : {}),
        ...(b.roles ? { roles: b.roles } : {}),
      });
      const out = { signedIn: true, tenantId: b.tenantId, userId: b.userId, roles: b.roles, expiresAt: b.expiresAt, file };
      process.stdout.write(
        flags.json
          ? `${JSON.stringify(out)}\n`
          : `signed in as ${b.userId} (${(b.roles ?? []).join(', ')}) until ${b.expiresAt}; session in ${file}\n`,
      );
      return;
    }
  } finally {
    http.close();
  }
}

async function logout(flags: { json?: boolean }): Promise<void> {
  const s = readSession();
  if (s) {
    const http = new PinnedHttps(await readFile(s.ca, 'utf8'));
    try {
      // Ends the session at the broker too; a broker that cannot be reached still loses the file.
      await http.send('DELETE', `${s.url}/v1/session`, { authorization: `Bearer ${s.session}` }).catch(() => undefined);
    } finally {
      http.close();
    }
  }
  await removeSession();
  process.stdout.write(flags.json ? `${JSON.stringify({ signedOut: true })}\n` : 'signed out\n');
}

export function registerBrokerLogin(broker: Command): void {
  broker
    .command('login')
    .description("sign in through the tenant's OpenID provider (device code); other broker commands then use the session")
    .requiredOption('--tenant <name>', 'the tenant to sign in to')
    .option('--url <url>', 'the broker (or SECTORCRYPT_BROKER_URL)')
    .option('--ca <file>', "the broker's CA certificate (or SECTORCRYPT_BROKER_CA)")
    .option('--json', 'one line of JSON')
    .action(async (flags: Flags) => login(flags));
  broker
    .command('logout')
    .description('end the session broker login made, and remove its file')
    .option('--json', 'one line of JSON')
    .action(async (flags: { json?: boolean }) => logout(flags));
}
