/**
 * Operator commands on a broker's data folder (no running broker, no token needed):
 *
 *   broker root-key rotate --data DIR       re-seal every secret under a new root key
 *   broker operator-token new --data DIR    a new operator token; the old ones stop
 *
 * The broker and its store are imported only when one of them runs.
 */
import { join } from 'node:path';
import type { Command } from 'commander';

function out(json: boolean | undefined, value: object, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : text);
}

export function registerBrokerAdmin(broker: Command): void {
  const rootKey = broker.command('root-key').description("the broker's root key (operator, on the data folder)");
  rootKey
    .command('rotate')
    .description('re-seal every broker key and audit log key under a new root key, in one transaction; other brokers on the database need the new root.key')
    .requiredOption('--data <dir>', "the broker's data folder")
    .option('--database <url>', 'overrides the store named in DATA/broker.json')
    .option('--keep-old', 'keep the replaced key as DATA/root.key.old (0600), for database backups made before')
    .option('--json', 'print {"rootKeyId", "keyVersions", "logKeys", "tenants"} as JSON')
    .action(async (flags: { data: string; database?: string; keepOld?: boolean; json?: boolean }) => {
      const { rotateRootKey } = await import('../broker/root-key-rotate.js');
      const r = await rotateRootKey({ dataDir: flags.data, database: flags.database, keepOld: flags.keepOld });
      out(
        flags.json,
        r,
        `re-sealed ${r.keyVersions} key versions and ${r.logKeys} audit log keys of ${r.tenants} tenants under a new root key (id ${r.rootKeyId})\n` +
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
      const { replaceOperatorToken } = await import('../broker/operator-token.js');
      const t = await replaceOperatorToken({ dataDir: flags.data, database: flags.database });
      out(flags.json, t, `${t.revoked} earlier operator token(s) revoked\nnew operator token (shown once, keep it safe):\n${t.operatorToken}\n`);
    });
}
