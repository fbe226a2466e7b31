/**
 * The connection every `sectorcrypt broker ...` client command shares: --url, --ca, --token
 * and --json (or SECTORCRYPT_BROKER_URL / _CA / _TOKEN), one call to the broker's HTTP API,
 * and the answer printed as JSON or through the command's view.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { SectorCryptError } from '../errors.js';
import { PinnedHttps, answerError } from '../agent/https.js';
import { styleFor } from './table.js';
import type { View } from './broker-views.js';
import { readSession } from './broker-session.js';

export interface Conn {
  url?: string;
  ca?: string;
  token?: string;
  json?: boolean;
}

/** One call to the broker; `anonymous` calls (an invitation's redemption) carry no token. */
export async function call(conn: Conn, method: string, path: string, body?: unknown, anonymous = false): Promise<unknown> {
  let url = (conn.url ?? process.env.SECTORCRYPT_BROKER_URL)?.replace(/\/+$/, '');
  let caFile = conn.ca ?? process.env.SECTORCRYPT_BROKER_CA;
  let token = anonymous ? undefined : (conn.token ?? process.env.SECTORCRYPT_BROKER_TOKEN);
  // No token: the session of `broker login` (broker-session.ts), for the same broker.
  const stored = anonymous || token ? undefined : readSession();
  if (stored && (url === undefined || url === stored.url)) {
    url = stored.url;
    caFile ??= stored.ca;
    token = stored.session;
  }
  if (!url || !caFile)
    throw new SectorCryptError('ERR_ARGUMENT', 'give the broker with --url and --ca (or SECTORCRYPT_BROKER_URL and SECTORCRYPT_BROKER_CA)');
  const http = new PinnedHttps(await readFile(caFile, 'utf8'));
  try {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    const bytes = body === undefined ? undefined : new Uint8Array(Buffer.from(JSON.stringify(body)));
    if (bytes) headers['content-type'] = 'application/json';
    const answer = await http.send(method, `${url}${path}`, headers, bytes);
    // No token given: say where one goes, not which header the broker wanted.
    if (answer.status === 401 && !token && !anonymous)
      throw new SectorCryptError(
        'ERR_UNAUTHENTICATED',
        'this call needs an API token or a session from broker login: give --token or set SECTORCRYPT_BROKER_TOKEN',
      );
    if (answer.status >= 400 && !(answer.body as { decision?: string } | null)?.decision) throw answerError(answer);
    return answer.body;
  } finally {
    http.close();
  }
}

/** One line of JSON with --json; the command's view for people otherwise. */
export function print<T>(conn: Conn, value: T, view: View<T>): void {
  process.stdout.write(conn.json ? `${JSON.stringify(value)}\n` : view(value, styleFor(process.stdout)));
}

/** Adds --url, --ca, --token and --json to a command. */
export function connected(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'the broker (or SECTORCRYPT_BROKER_URL)')
    .option('--ca <file>', "the broker's CA certificate (or SECTORCRYPT_BROKER_CA)")
    .option('--token <token>', 'an API token (or SECTORCRYPT_BROKER_TOKEN)')
    .option('--json', 'one line of JSON');
}
