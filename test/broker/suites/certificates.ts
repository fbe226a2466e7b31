/**
 * `broker cert renew` and the certificate's remaining life: renew keeps the names (adding
 * --name ones) and extends notAfter; GET /v1/health reports daysLeft of the server
 * certificate and the CA; a certificate near its end (made here with a 5-day life) gives a
 * warning in health and on `serve`'s stderr; a reload (SIGHUP for `serve`) serves the new one.
 */
import { describe, expect, it } from 'vitest';
import { connect } from 'node:tls';
import { mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../../../src/broker/index.js';
import { certificateNames, renewServer } from '../../../src/broker/data-dir/tls.js';
import { Client } from '../helpers.js';
import { sectorcrypt, serveChild, stopChild } from './root-key.js';

/** The notAfter of the certificate a TLS server presents now. */
function presented(url: string, ca: string): Promise<Date> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect({ host: u.hostname, port: Number(u.port), ca, servername: 'localhost' }, () => {
      resolve(new Date(s.getPeerCertificate().valid_to));
      s.end();
    });
    s.once('error', reject);
  });
}

const DAY = 86_400_000;

export function certificateSuite(database: () => Promise<string | undefined>, opts: { child: boolean }): void {
  describe('server certificate: renew, days left, warnings', () => {
    it('warns about a certificate near expiry; cert renew extends it for the same names and more; a reload serves it', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'sc-cert-'));
      const data = join(dir, 'data');
      const dbUrl = await database();
      await Broker.init({ dataDir: data, names: ['broker.test', '10.1.2.3'], ...(dbUrl ? { database: dbUrl } : {}) });
      const read = (name: string) => readFile(join(data, name), 'utf8');
      const ca = await read('ca.pem');
      // A server certificate with 5 days left, as an old one would be.
      const short = await renewServer(ca, await read('ca.key'), await read('server.pem'), [], 5);
      await writeFile(join(data, 'server.pem'), short.serverPem);
      await writeFile(join(data, 'server.key'), short.serverKeyPem, { mode: 0o600 });

      const b = await Broker.open({ dataDir: data, ...(dbUrl ? { database: dbUrl } : {}) });
      const url = await b.listen({ host: '127.0.0.1', port: 0 });
      const client = new Client(url, ca);
      try {
        const health = (await client.call('GET', '/v1/health')).body;
        expect(health.certificate.server.daysLeft).toBeGreaterThanOrEqual(4);
        expect(health.certificate.server.daysLeft).toBeLessThanOrEqual(5);
        expect(health.certificate.ca.daysLeft).toBeGreaterThan(3600);
        expect(health.certificate.warnings).toEqual([expect.stringMatching(/^the server certificate expires in [45] days .*cert renew/)]);
        expect(new Date(health.certificate.server.notAfter).getTime()).toBe((await presented(url, ca)).getTime());

        let child: Awaited<ReturnType<typeof serveChild>> | undefined;
        if (opts.child) {
          child = await serveChild(data);
          // The warning is on stderr once it listens.
          for (let i = 0; i < 50 && !child.stderr().includes('warning'); i++) await new Promise((r) => setTimeout(r, 50));
          expect(child.stderr()).toMatch(/sectorcrypt: warning: the server certificate expires in [45] days/);
        }
        try {
          const before = await stat(join(data, 'server.pem'));
          const renewed = await sectorcrypt(['broker', 'cert', 'renew', '--data', data, '--name', 'extra.test', '--json']);
          expect(renewed.status, renewed.stderr).toBe(0);
          const r = JSON.parse(renewed.stdout);
          expect(new Set(r.names)).toEqual(new Set(['localhost', '127.0.0.1', 'broker.test', '10.1.2.3', 'extra.test']));
          expect(new Set(certificateNames(await read('server.pem')))).toEqual(new Set(r.names));
          expect(new Date(r.notAfter).getTime()).toBeGreaterThan(Date.now() + 820 * DAY);
          expect((await stat(join(data, 'server.key'))).mode & 0o777).toBe(0o600);
          expect((await stat(join(data, 'server.pem'))).ino).not.toBe(before.ino); // replaced by a rename
          expect((await readdir(data)).filter((n) => n.endsWith('.tmp'))).toEqual([]);

          // Until it reloads, the broker serves the old one; then the new one.
          expect((await presented(url, ca)).getTime()).toBe(new Date(health.certificate.server.notAfter).getTime());
          const status = await b.reloadCertificate();
          expect(status.warnings).toEqual([]);
          expect((await presented(url, ca)).getTime()).toBe(new Date(r.notAfter).getTime());
          const after = (await client.call('GET', '/v1/health')).body.certificate;
          expect(after.server.daysLeft).toBeGreaterThanOrEqual(824);
          expect(after.warnings).toEqual([]);

          if (child) {
            child.proc.kill('SIGHUP');
            for (let i = 0; i < 100 && !child.stderr().includes('reloaded'); i++) await new Promise((res) => setTimeout(res, 50));
            expect(child.stderr()).toContain('reloaded the server certificate');
            expect(child.proc.exitCode).toBe(null); // SIGHUP reloads, it does not stop serve
            expect((await presented(child.url, ca)).getTime()).toBe(new Date(r.notAfter).getTime());
            const c = new Client(child.url, ca);
            try {
              expect((await c.call('GET', '/v1/health')).body.certificate.server.daysLeft).toBeGreaterThanOrEqual(824);
            } finally {
              c.close();
            }
          }
        } finally {
          if (child) await stopChild(child.proc);
        }
      } finally {
        client.close();
        await b.close();
      }
    }, 120_000);
  });
}
