/**
 * Test signer: a fresh key and self-signed certificate, and a PKCS#7 SignedData made by the
 * `openssl` program (an implementation independent of the verifier under test). RSA with
 * SHA-256 is what AWS's rsa2048 endpoint and Azure use; DSA with SHA-1 is AWS's pkcs7 one.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Why openssl cannot sign here, or undefined. */
export function opensslMissing(): string | undefined {
  const run = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  return run.status === 0 ? undefined : `openssl is not installed (${run.error?.message ?? run.stderr.trim()})`;
}

function openssl(args: string[], cwd: string): void {
  const run = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${run.stderr}`);
}

export interface TestSigner {
  certificatePem: string;
  /** PKCS#7 SignedData (DER, base64 without armour, lines of 64 as AWS serves it). */
  sign(content: string, options?: { detached?: boolean; withCertificate?: boolean }): string;
  close(): void;
}

export function createSigner(kind: 'rsa' | 'dsa', subject = '/CN=sectorcrypt test metadata signer'): TestSigner {
  const dir = mkdtempSync(path.join(tmpdir(), 'sectorcrypt-signer-'));
  if (kind === 'rsa') {
    openssl(
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '2', '-subj', subject],
      dir,
    );
  } else {
    openssl(['dsaparam', '-out', 'params.pem', '2048'], dir);
    openssl(['gendsa', '-out', 'key.pem', 'params.pem'], dir);
    openssl(['req', '-x509', '-new', '-key', 'key.pem', '-out', 'cert.pem', '-days', '2', '-subj', subject, '-sha256'], dir);
  }
  let n = 0;
  return {
    certificatePem: readFileSync(path.join(dir, 'cert.pem'), 'utf8'),
    sign(content, options = {}) {
      const name = `doc${n++}`;
      writeFileSync(path.join(dir, name), content);
      const args = [
        'cms',
        '-sign',
        '-binary',
        '-in',
        name,
        '-signer',
        'cert.pem',
        '-inkey',
        'key.pem',
        '-outform',
        'DER',
        '-out',
        `${name}.p7`,
      ];
      args.push('-md', kind === 'rsa' ? 'sha256' : 'sha1');
      if (!options.detached) args.push('-nodetach');
      if (!options.withCertificate) args.push('-nocerts');
      openssl(args, dir);
      return (
        readFileSync(path.join(dir, `${name}.p7`))
          .toString('base64')
          .match(/.{1,64}/g) ?? []
      ).join('\n');
    },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}
