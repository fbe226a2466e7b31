/**
 * `encrypt --broker-key KEYID --broker URL --ca CA [--broker-token T]`: the broker key's newest
 * public key, fetched once (GET /v1/keys/:id/public with the caller's API token, as the
 * `broker` management commands authenticate), then sealed to offline like any public key.
 * `decrypt --agent DIR [--claims FILE]`: the enrolled agent as an identity.
 */
import { readFile } from 'node:fs/promises';
import { SectorCryptError } from '../errors.js';
import { PinnedHttps, answerError } from '../agent/https.js';
import type { BrokerKey } from '../envelope/stanzas/broker.js';
import type { BrokerAgent } from '../agent/broker-agent.js';
import type { RetryNote } from '../agent/retry.js';
import { setLastWords } from './output.js';
import { seconds } from './args.js';

export interface BrokerRecipientFlags {
  brokerKey?: string;
  broker?: string;
  /** Repeatable on the command line: one per broker, in order (envelope-keys.ts pairs them). */
  ca?: string | string[];
  brokerToken?: string | string[];
}

/** `label` names the recipient in errors: `--broker-key` (the default) or the `-R broker:URL/KEYID` given. */
export async function fetchBrokerKey(f: {
  brokerKey?: string;
  broker?: string;
  ca?: string;
  brokerToken?: string;
  label?: string;
}): Promise<BrokerKey> {
  const label = f.label ?? '--broker-key';
  const url = (f.broker ?? process.env.SECTORCRYPT_BROKER_URL)?.replace(/\/+$/, '');
  const caFile = f.ca ?? process.env.SECTORCRYPT_BROKER_CA;
  const token = f.brokerToken ?? process.env.SECTORCRYPT_BROKER_TOKEN;
  if (!url || !caFile)
    throw new SectorCryptError(
      'ERR_ARGUMENT',
      `${label} needs --broker URL and --ca FILE (or SECTORCRYPT_BROKER_URL and SECTORCRYPT_BROKER_CA)`,
    );
  if (!token)
    throw new SectorCryptError('ERR_ARGUMENT', `${label} needs an API token of the tenant: --broker-token or SECTORCRYPT_BROKER_TOKEN`);
  const http = new PinnedHttps(await readFile(caFile, 'utf8'));
  try {
    const answer = await http.send('GET', `${url}/v1/keys/${encodeURIComponent(f.brokerKey!)}/public`, {
      authorization: `Bearer ${token}`,
    });
    if (answer.status !== 200) throw answerError(answer);
    const a = answer.body as { keyId: string; version: number; publicKey: string };
    return { keyId: a.keyId, version: a.version, publicKey: a.publicKey };
  } finally {
    http.close();
  }
}

/** `--wait [--timeout SECONDS]` of the commands that release through an agent. */
export interface AgentWaitFlags {
  wait?: boolean;
  timeout?: string;
}

/** --timeout in milliseconds (default: the agent's 15 minutes); ERR_ARGUMENT when it is not a number of seconds. */
function timeoutMs(f: AgentWaitFlags): number | undefined {
  if (f.timeout === undefined) return undefined;
  if (!f.wait) throw new SectorCryptError('ERR_ARGUMENT', '--timeout goes with --wait');
  return seconds('--timeout', { max: 9_999_999 })(f.timeout) * 1000;
}

/** One line on stderr when a release waits for people to approve it (with the id they need). */
function sayWaiting({ requestId, expiresAt, resumed }: { requestId: string; expiresAt?: string; resumed?: boolean }): void {
  const until = expiresAt ? ` (it expires at ${expiresAt})` : '';
  const stop = process.stderr.isTTY ? '; Ctrl-C stops waiting and withdraws it' : '';
  process.stderr.write(
    `sectorcrypt: waiting for approval of ${resumed ? 'the earlier ' : ''}release request ${requestId}${until}${stop}\n`,
  );
}

/** One line on stderr each time a waiting call asks the broker again. */
function sayRetrying({ reason, delayMs }: RetryNote): void {
  process.stderr.write(`sectorcrypt: ${reason}; asking again in ${(delayMs / 1000).toFixed(1)} s\n`);
}

/**
 * The agent of a state folder, collecting its claims with the config in `claimsFile` (default:
 * every built-in collector). Without --wait a release that needs approval fails with
 * ERR_PENDING (its message names the request id); with it, the agent polls until the request
 * is approved, denied (ERR_DENIED) or expired (ERR_EXPIRED), or --timeout passes (ERR_PENDING).
 */
export async function loadAgent(stateDir: string, claimsFile?: string, waiting: AgentWaitFlags = {}): Promise<BrokerAgent> {
  const timeout = timeoutMs(waiting);
  const { BrokerAgent } = await import('../agent/broker-agent.js');
  const { loadClaimsConfig } = await import('../agent/claims/config-file.js');
  const claims = claimsFile === undefined ? 'auto' : await loadClaimsConfig(claimsFile);
  const agent = await BrokerAgent.load({
    stateDir,
    claims,
    wait: waiting.wait === true,
    ...(timeout ? { timeoutMs: timeout } : {}),
    onPending: sayWaiting,
    onRetry: sayRetrying,
  });
  if (!waiting.wait) return agent;
  // Interrupted while waiting (Ctrl-C, SIGTERM from the token plugin or systemd): withdraw first.
  setLastWords(async () => {
    for (const id of await agent.withdrawWaiting()) process.stderr.write(`sectorcrypt: withdrew release request ${id}\n`);
  });
  const close = agent.close.bind(agent);
  agent.close = () => {
    setLastWords(undefined);
    close();
  };
  return agent;
}
