/**
 * `sectorcrypt broker init|serve` and `sectorcrypt agent enroll` (docs/broker.md "Managing a running broker from the command line").
 * The server is imported only when a broker command runs, so the rest of the CLI never
 * loads a web framework or a database.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { SectorCryptError } from '../errors.js';
import { takeOverSignals } from './output.js';
import { registerBrokerManagement } from './broker-manage.js';
import { registerBrokerAdmin } from './broker-admin.js';
import { registerBrokerLogin } from './broker-login.js';
import { collect, integer, seconds } from './args.js';

/** The audit log's settings: whole numbers from 1, nine digits at most. */
const positive = (name: string) => integer(name, { min: 1, max: 999_999_999 });

/** `--rate-* PER_SECOND[:BURST]` (burst: twice the rate unless given), or `off`. */
function rateLimit(value: string): { perSecond: number; burst: number } | false {
  if (value === 'off') return false;
  const m = /^(\d+(?:\.\d+)?)(?::(\d+))?$/.exec(value);
  const perSecond = Number(m?.[1]);
  const burst = m?.[2] === undefined ? Math.max(1, Math.ceil(perSecond * 2)) : Number(m[2]);
  if (!m || !(perSecond > 0) || !(burst >= 1))
    throw new SectorCryptError('ERR_ARGUMENT', `a rate limit is PER_SECOND[:BURST] or off, not ${value}`);
  return { perSecond, burst };
}

function hostPort(value: string, option = '--listen'): { host: string; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) > 65535) throw new SectorCryptError('ERR_ARGUMENT', `${option} takes HOST:PORT`);
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
}

export function registerBroker(program: Command): void {
  const broker = program.command('broker').description('run a sectorcrypt key broker, or manage a running one');
  registerBrokerManagement(broker);
  registerBrokerAdmin(broker);
  registerBrokerLogin(broker);

  broker
    .command('init')
    .description('make a broker data folder: root key, CA and server certificate, and an operator token (shown once)')
    .requiredOption('--data <dir>', 'the data folder to create')
    .option('--name <host>', 'a DNS name or IP address for the server certificate (repeatable)', collect, [])
    .option('--database <url>', 'pglite:DIR (default DATA/db) or postgres://...')
    .option('--json', 'print {"operatorToken", "caFile"} as JSON')
    .action(async (flags: { data: string; name: string[]; database?: string; json?: boolean }) => {
      const { Broker } = await import('../broker/index.js');
      const { operatorToken, caFile } = await Broker.init({ dataDir: flags.data, names: flags.name, database: flags.database });
      if (flags.json) process.stdout.write(`${JSON.stringify({ operatorToken, caFile })}\n`);
      else
        process.stdout.write(
          `broker data in ${flags.data}; agents pin ${caFile}\noperator token (shown once, keep it safe):\n${operatorToken}\n`,
        );
    });

  broker
    .command('serve')
    .description('serve the broker over HTTPS until SIGTERM or SIGINT')
    .requiredOption('--data <dir>', 'the data folder made by broker init')
    .option('--listen <host:port>', 'address to listen on (port 0 picks a free port)', '127.0.0.1:8443')
    .option(
      '--xks-listen <host:port>',
      'a second address for the AWS KMS XKS API alone, asking clients for a certificate (keystores with mutual TLS: docs/xks.md)',
    )
    .option('--database <url>', 'overrides the store named in DATA/broker.json')
    .option(
      '--audit-retention-days <n>',
      'audit records younger than this stay in the log (default 365)',
      positive('--audit-retention-days'),
    )
    .option(
      '--checkpoint-records <n>',
      'sign an audit checkpoint once a log grew by this many records (default 256)',
      positive('--checkpoint-records'),
    )
    .option(
      '--checkpoint-seconds <t>',
      '...or once its oldest unsigned record is this old (default 60)',
      seconds('--checkpoint-seconds', { max: 999_999_999 }),
    )
    .option('--json', 'print one line {"url": ...} once ready')
    .option('--rate-device <rate>', 'signed agent calls per device: PER_SECOND[:BURST] or off (default 200:400)', rateLimit)
    .option('--rate-token <rate>', 'management calls per API token: PER_SECOND[:BURST] or off (default 100:200)', rateLimit)
    .option('--rate-ip <rate>', 'calls without credentials, enrollments and failed logins per source IP (default 20:200)', rateLimit)
    .action(
      async (
        flags: {
          data: string;
          listen: string;
          xksListen?: string;
          database?: string;
          json?: boolean;
          auditRetentionDays?: number;
          checkpointRecords?: number;
          checkpointSeconds?: number;
        } & Record<'rateDevice' | 'rateToken' | 'rateIp', ReturnType<typeof rateLimit> | undefined>,
      ) => {
        const { Broker } = await import('../broker/index.js');
        const where = hostPort(flags.listen);
        const xksWhere = flags.xksListen === undefined ? undefined : hostPort(flags.xksListen, '--xks-listen');
        const b = await Broker.open({
          dataDir: flags.data,
          database: flags.database,
          auditRetentionDays: flags.auditRetentionDays,
          checkpoints: {
            ...(flags.checkpointRecords ? { everyRecords: flags.checkpointRecords } : {}),
            ...(flags.checkpointSeconds ? { everySeconds: flags.checkpointSeconds } : {}),
          },
          rateLimits: {
            ...(flags.rateDevice !== undefined ? { device: flags.rateDevice } : {}),
            ...(flags.rateToken !== undefined ? { token: flags.rateToken } : {}),
            ...(flags.rateIp !== undefined ? { ip: flags.rateIp } : {}),
          },
        });
        const url = await b.listen(where);
        const xksUrl = xksWhere ? await b.listenXks(xksWhere) : undefined;
        process.stdout.write(
          flags.json
            ? `${JSON.stringify({ url, ...(xksUrl ? { xksUrl } : {}) })}\n`
            : `sectorcrypt broker listening on ${url}${xksUrl ? `, the XKS API also on ${xksUrl}` : ''}\n`,
        );
        const warn = (lines: string[]) => lines.forEach((w) => process.stderr.write(`sectorcrypt: warning: ${w}\n`));
        warn(b.certificateStatus().warnings);
        // SIGHUP: serve DATA/server.pem and server.key again (after `broker cert renew`).
        const reload = () => {
          b.reloadCertificate().then(
            (s) => {
              process.stderr.write(`sectorcrypt: reloaded the server certificate (valid until ${s.server.notAfter})\n`);
              warn(s.warnings);
            },
            (err: unknown) =>
              process.stderr.write(
                `sectorcrypt: certificate reload failed, still serving the previous one: ${err instanceof Error ? err.message : String(err)}\n`,
              ),
          );
        };
        process.on('SIGHUP', reload);
        await new Promise<void>((resolve) => {
          const stop = () => {
            process.off('SIGTERM', stop);
            process.off('SIGINT', stop);
            process.off('SIGHUP', reload);
            // Graceful: stop accepting, finish the requests in flight, close the store.
            b.close().then(resolve, (err: unknown) => {
              process.stderr.write(`sectorcrypt: close failed: ${err instanceof Error ? err.message : String(err)}\n`);
              process.exitCode = 1;
              resolve();
            });
          };
          takeOverSignals(['SIGINT', 'SIGTERM', 'SIGHUP']);
          process.on('SIGTERM', stop);
          process.on('SIGINT', stop);
        });
      },
    );
}

export function registerAgent(program: Command): void {
  const agent = program.command('agent').description('a sectorcrypt broker agent');
  agent
    .command('enroll')
    .description('enroll this machine with a broker (one-time token); the device key stays in the state folder')
    .requiredOption('--url <url>', 'the broker, https://...')
    .requiredOption('--ca <file>', "the broker's CA certificate (PEM): the only CA the agent trusts")
    .requiredOption('--token <token>', 'the enrollment token')
    .requiredOption('--state <dir>', 'the state folder to create (mode 0700)')
    .option('--name <name>', 'the device name (default: the host name)')
    .option(
      '--group <group>',
      'a group this machine expects the token to grant (repeatable); enrollment fails with ERR_FORBIDDEN if it does not. The groups always come from the token',
      collect,
      [],
    )
    .option(
      '--tpm [tcti]',
      'enroll with this TPM 2.0: an attestation key made in the TPM, checked by credential activation; releases then need TPM quotes (default TCTI: device:/dev/tpmrm0; or e.g. swtpm:host=127.0.0.1,port=2321)',
    )
    .option('--json', 'print {"deviceId", "groups"} as JSON')
    .action(
      async (flags: {
        url: string;
        ca: string;
        token: string;
        state: string;
        name?: string;
        group: string[];
        tpm?: string | true;
        json?: boolean;
      }) => {
        const { BrokerAgent } = await import('../agent/index.js');
        const { hostname } = await import('node:os');
        const a = await BrokerAgent.enroll({
          url: flags.url,
          ca: await readFile(flags.ca, 'utf8'),
          token: flags.token,
          stateDir: flags.state,
          device: { name: flags.name ?? hostname() },
          ...(flags.group.length ? { expectGroups: flags.group } : {}),
          ...(flags.tpm !== undefined ? { tpm: flags.tpm } : {}),
        });
        a.close();
        if (flags.json) process.stdout.write(`${JSON.stringify({ deviceId: a.deviceId, groups: a.groups, tpm: a.tpm })}\n`);
        else process.stdout.write(`enrolled as ${a.deviceId} in groups ${a.groups.join(', ')}${a.tpm ? ' with its TPM' : ''}\n`);
      },
    );
}
