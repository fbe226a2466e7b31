/**
 * The CLI end to end: `broker init --json`, `broker serve --json` (one line with the URL),
 * `agent enroll`, and a graceful stop on SIGTERM. Run against the PostgreSQL server (a PGlite
 * start in a fresh process costs tens of seconds on a busy machine).
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CLI } from '../../entry.js';

export function cliSuite(database: () => Promise<string>): void {
  describe('command line', () => {
    it('init, serve, enroll through the CLI, then stop on SIGTERM', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'sc-cli-'));
      const data = join(dir, 'data');
      const init = spawnSync(
        process.execPath,
        [...CLI, 'broker', 'init', '--data', data, '--name', 'broker.test', '--database', await database(), '--json'],
        { encoding: 'utf8' },
      );
      expect(init.status, init.stderr).toBe(0);
      const { operatorToken, caFile } = JSON.parse(init.stdout);
      expect(operatorToken).toMatch(/^sct_/);
      expect((await stat(join(data, 'root.key'))).mode & 0o777).toBe(0o600);

      const serve = spawn(process.execPath, [...CLI, 'broker', 'serve', '--data', data, '--listen', '127.0.0.1:0', '--json'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      try {
        const firstLine = await new Promise<string>((resolve, reject) => {
          createInterface({ input: serve.stdout! }).once('line', resolve);
          serve.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
        });
        const { url } = JSON.parse(firstLine);
        expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
        // Management through the CLI, the connection from the environment.
        const env = { ...process.env, SECTORCRYPT_BROKER_URL: url, SECTORCRYPT_BROKER_CA: caFile };
        const manage = (token: string, ...args: string[]) => {
          const r = spawnSync(process.execPath, [...CLI, 'broker', ...args, '--json'], {
            encoding: 'utf8',
            env: { ...env, SECTORCRYPT_BROKER_TOKEN: token },
          });
          expect(r.status, r.stderr).toBe(0);
          return JSON.parse(r.stdout);
        };
        // Invitations are redeemed from standard input (never argv), without a token.
        const redeem = (code: string) => {
          const r = spawnSync(process.execPath, [...CLI, 'broker', 'invitation', 'redeem', '--code-file', '-', '--json'], {
            encoding: 'utf8',
            env,
            input: `${code}\n`,
          });
          expect(r.status, r.stderr).toBe(0);
          return JSON.parse(r.stdout).token as string;
        };
        const t = manage(operatorToken, 'tenant', 'create', 'cli', '--admin', 'root');
        expect(t.admin.invitation.code).toMatch(/^sci_/);
        expect(JSON.stringify(t)).not.toMatch(/sct_/);
        const admin = redeem(t.admin.invitation.code);
        expect(admin).toMatch(/^sct_/);
        const e = manage(admin, 'enroll-token', 'create', '--group', 'edge', '--uses', '2');
        const audrey = manage(admin, 'user', 'create', 'audrey', '--role', 'auditor');
        const cp = manage(redeem(audrey.invitation.code), 'audit', 'checkpoint');
        expect(cp.checkpoint.split('\n')[1]).toBe(String(cp.size));
        expect(cp.verifierKey).toMatch(/^sectorcrypt-broker\/tn_/);
        const refused = spawnSync(
          process.execPath,
          [...CLI, 'broker', 'key', 'list', '--url', url, '--ca', caFile, '--token', 'sct_' + 'x'.repeat(43)],
          { encoding: 'utf8' },
        );
        expect(refused.status).toBe(1);
        expect(refused.stderr).toContain('ERR_UNAUTHENTICATED');
        const enroll = spawnSync(
          process.execPath,
          [...CLI, 'agent', 'enroll', '--url', url, '--ca', caFile, '--token', e.token, '--state', join(dir, 'agent'), '--json'],
          { encoding: 'utf8' },
        );
        expect(enroll.status, enroll.stderr).toBe(0);
        expect(JSON.parse(enroll.stdout).groups).toEqual(['edge']);
        expect((await stat(join(dir, 'agent', 'device.key'))).mode & 0o777).toBe(0o600);
      } finally {
        const exited = new Promise<number | null>((resolve) => serve.once('exit', (code) => resolve(code)));
        serve.kill('SIGTERM');
        expect(await exited).toBe(0);
      }
    }, 60_000);
  });
}
