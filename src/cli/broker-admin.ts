/**
 * Operator commands on a broker's data folder (no running broker, no token needed):
 *
 *   broker root-key rotate --data DIR       re-seal every secret under a new root key
 *   broker operator-token new --data DIR    a new operator token; the old ones stop
 *   broker cert renew --data DIR [--name]   a new server certificate from the broker's CA
 *
 * The broker and its store are imported only when one of them runs.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { openOutputFile, type OutputFile } from './output.js';
import { collect, integer } from './args.js';

function out(json: boolean | undefined, value: object, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : text);
}

/** Writes `files` (name -> text) beside their targets and renames them into place. */
async function replaceFiles(files: [string, string, number][]): Promise<void> {
  const opened: OutputFile[] = [];
  try {
    for (const [path, , mode] of files) opened.push(await openOutputFile(path, { force: true, mode }));
    files.forEach(([, text], i) => opened[i]!.stream.end(text));
    for (const o of opened) await o.commit();
  } catch (err) {
    for (const o of opened) await o.discard();
    throw err;
  }
}

export function registerBrokerAdmin(broker: Command): void {
  const rootKey = broker.command('root-key').description("the broker's root key (operator, on the data folder)");
  rootKey
    .command('rotate')
    .description(
      're-seal every broker key and audit log key under a new root key, in one transaction; other brokers on the database need the new root.key',
    )
    .requiredOption('--data <dir>', "the broker's data folder")
    .option('--database <url>', 'overrides the store named in DATA/broker.json')
    .option('--keep-old', 'keep the replaced key as DATA/root.key.old (0600), for database backups made before')
    .option('--json', 'print {"rootKeyId", "keyVersions", "logKeys", "clientSecrets", "xksCredentials", "tenants"} as JSON')
    .action(async (flags: { data: string; database?: string; keepOld?: boolean; json?: boolean }) => {
      const { rotateRootKey } = await import('../broker/root-key/rotate.js');
      const r = await rotateRootKey({ dataDir: flags.data, database: flags.database, keepOld: flags.keepOld });
      out(
        flags.json,
        r,
        `re-sealed ${r.keyVersions} key versions, ${r.logKeys} audit log keys, ${r.clientSecrets} OpenID client secrets and ${r.xksCredentials} XKS credentials of ${r.tenants} tenants under a new root key (id ${r.rootKeyId})\n` +
          `copy ${join(flags.data, 'root.key')} (mode 0600) to every other broker on this database; until then they refuse to start, and running ones answer ERR_ROOT_KEY_MISMATCH where they need it\n`,
      );
    });

  const operatorToken = broker.command('operator-token').description("the operator's token (on the data folder)");
  operatorToken
    .command('new')
    .description('make a new operator token (shown once); every earlier operator token and console session stops')
    .requiredOption('--data <dir>', "the broker's data folder")
    .option('--database <url>', 'overrides the store named in DATA/broker.json')
    .option('--json', 'print {"operatorToken", "tokenId", "expiresAt", "revoked"} as JSON')
    .action(async (flags: { data: string; database?: string; json?: boolean }) => {
      const { replaceOperatorToken } = await import('../broker/accounts/operator-token.js');
      const t = await replaceOperatorToken({ dataDir: flags.data, database: flags.database });
      out(
        flags.json,
        t,
        `${t.revoked} earlier operator token(s) revoked\nnew operator token (shown once, keep it safe):\n${t.operatorToken}\n`,
      );
    });

  const cert = broker.command('cert').description("the broker's HTTPS certificate (on the data folder)");
  cert
    .command('renew')
    .description(
      "issue a new server certificate from the broker's CA, for the same names (and each --name); replaces server.pem and server.key",
    )
    .requiredOption('--data <dir>', "the broker's data folder")
    .option('--name <host>', 'one more DNS name or IP address (repeatable)', collect, [])
    .option('--days <n>', 'lifetime in days (default 825)', integer('--days', { min: 1, max: 3650 }))
    .option('--json', 'print {"names", "notAfter"} as JSON')
    .action(async (flags: { data: string; name: string[]; days?: number; json?: boolean }) => {
      const { renewServer, certificateNotAfter } = await import('../broker/data-dir/tls.js');
      const read = (name: string) => readFile(join(flags.data, name), 'utf8');
      const renewed = await renewServer(await read('ca.pem'), await read('ca.key'), await read('server.pem'), flags.name, flags.days);
      // The key first: a crash between the two renames leaves a new key with the old
      // certificate, which `serve` refuses rather than serving a key that does not match.
      await replaceFiles([
        [join(flags.data, 'server.key'), renewed.serverKeyPem, 0o600],
        [join(flags.data, 'server.pem'), renewed.serverPem, 0o644],
      ]);
      const notAfter = certificateNotAfter(renewed.serverPem).toISOString();
      out(
        flags.json,
        { names: renewed.names, notAfter },
        `new server certificate for ${renewed.names.join(', ')}, valid until ${notAfter}\na running broker serves it after SIGHUP (or a restart)\n`,
      );
    });
}
