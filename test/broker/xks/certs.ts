/**
 * Certificates for the mutual TLS tests, made by the openssl CLI (an independent tool): two root
 * CAs, an intermediate under the first, and client certificates (right and wrong subject CN,
 * from the other CA, expired, self-signed, for servers only, with two CNs).
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

function openssl(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile('openssl', args, { cwd }, (err, _stdout, stderr) => (err ? reject(new Error(`openssl ${args[0]}: ${stderr}`)) : resolve())),
  );
}

export interface Pair {
  cert: string;
  key: string;
  /** The PEM files (curl --cert/--key). */
  certFile: string;
  keyFile: string;
}

export const KMS_CN = 'cks.kms.us-east-1.amazonaws.com';

export interface MtlsCerts {
  root: Pair;
  otherRoot: Pair;
  intermediate: Pair;
  /** Right CN, issued by the intermediate; `chainFile` is leaf then intermediate. */
  good: Pair & { chainFile: string; chain: string };
  wrongCn: Pair & { chainFile: string };
  otherCa: Pair;
  expired: Pair & { chainFile: string };
  selfSigned: Pair;
  serverOnly: Pair & { chainFile: string };
  twoCns: Pair & { chainFile: string };
  /** Right CN, signed with another client's key (a leaf, not a CA): chain forged, that client, intermediate. */
  forged: Pair & { chainFile: string };
  /** Not a CA (a leaf): refused as a keystore's CA certificate. */
  leafOnly: string;
}

async function pair(dir: string, name: string): Promise<Pair> {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  return { cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8'), certFile, keyFile };
}

async function withChain(dir: string, p: Pair, name: string, intermediate: Pair): Promise<Pair & { chainFile: string; chain: string }> {
  const chain = `${p.cert.trim()}\n${intermediate.cert.trim()}\n`;
  const chainFile = join(dir, `${name}-chain.pem`);
  await writeFile(chainFile, chain);
  return { ...p, chainFile, chain };
}

/** The forged leaf, then the client certificate that signed it, then the intermediate. */
async function forgedChain(dir: string, intermediate: Pair): Promise<Pair & { chainFile: string }> {
  const p = await pair(dir, 'forged');
  const signer = await readFile(join(dir, 'plain-client.pem'), 'utf8');
  const chainFile = join(dir, 'forged-chain.pem');
  await writeFile(chainFile, `${p.cert.trim()}\n${signer.trim()}\n${intermediate.cert.trim()}\n`);
  return { ...p, chainFile };
}

export async function makeMtlsCerts(dir: string): Promise<MtlsCerts> {
  await mkdir(dir, { recursive: true });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const root = async (name: string, cn: string) =>
    openssl(
      [
        'req',
        '-x509',
        ...ec,
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.pem`,
        '-days',
        '30',
        '-subj',
        `/O=Test/CN=${cn}`,
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ],
      dir,
    );
  await root('root', 'Test Root CA 1');
  await root('other-root', 'Test Root CA 2');
  const csr = (name: string, subj: string) =>
    openssl(['req', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj], dir);
  const sign = async (name: string, ca: string, ext: string, extra: string[] = []) => {
    await writeFile(join(dir, `${name}.ext`), ext);
    await openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        `${ca}.pem`,
        '-CAkey',
        `${ca}.key`,
        '-CAcreateserial',
        '-out',
        `${name}.pem`,
        '-days',
        '30',
        '-extfile',
        `${name}.ext`,
        ...extra,
      ],
      dir,
    );
  };
  const client = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n';
  await csr('intermediate', '/O=Test/CN=Test Intermediate CA');
  await sign('intermediate', 'root', 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n');
  await csr('good', `/O=Amazon/CN=${KMS_CN}`);
  await sign('good', 'intermediate', client);
  await csr('wrong-cn', '/O=Amazon/CN=cks.kms.eu-west-1.amazonaws.com');
  await sign('wrong-cn', 'intermediate', client);
  await csr('other-ca', `/O=Amazon/CN=${KMS_CN}`);
  await sign('other-ca', 'other-root', client);
  await csr('server-only', `/O=Amazon/CN=${KMS_CN}`);
  await sign('server-only', 'intermediate', 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  // A client certificate without a key usage extension (so OpenSSL's issuer check alone does
  // not stop it signing): only its basic constraints (CA:FALSE) keep it from being a CA.
  await csr('plain-client', '/O=Customer/CN=someone.example');
  await sign('plain-client', 'intermediate', 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
  await csr('forged', `/O=Amazon/CN=${KMS_CN}`);
  await sign('forged', 'plain-client', client);
  await csr('two-cns', `/CN=someone.example/CN=${KMS_CN}`);
  await sign('two-cns', 'intermediate', client);
  await openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'self.key',
      '-out',
      'self.pem',
      '-days',
      '30',
      '-subj',
      `/O=Amazon/CN=${KMS_CN}`,
      '-addext',
      `extendedKeyUsage=clientAuth`,
    ],
    dir,
  );
  // Expired: `openssl ca` takes explicit dates (x509 -req counts from now).
  await csr('expired', `/O=Amazon/CN=${KMS_CN}`);
  await writeFile(join(dir, 'index.txt'), '');
  await writeFile(join(dir, 'serial'), '1000\n');
  await writeFile(
    join(dir, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = test',
      '[test]',
      `database = ${join(dir, 'index.txt')}`,
      `new_certs_dir = ${dir}`,
      `serial = ${join(dir, 'serial')}`,
      'default_md = sha256',
      'policy = any',
      'unique_subject = no',
      'x509_extensions = leaf',
      '[any]',
      'commonName = supplied',
      '[leaf]',
      'basicConstraints = CA:FALSE',
      'extendedKeyUsage = clientAuth',
      '',
    ].join('\n'),
  );
  await openssl(
    [
      'ca',
      '-batch',
      '-config',
      'ca.cnf',
      '-cert',
      'intermediate.pem',
      '-keyfile',
      'intermediate.key',
      '-in',
      'expired.csr',
      '-out',
      'expired.pem',
      '-notext',
      '-startdate',
      '20200101000000Z',
      '-enddate',
      '20200201000000Z',
    ],
    dir,
  );
  const intermediate = await pair(dir, 'intermediate');
  return {
    root: await pair(dir, 'root'),
    otherRoot: await pair(dir, 'other-root'),
    intermediate,
    good: await withChain(dir, await pair(dir, 'good'), 'good', intermediate),
    wrongCn: await withChain(dir, await pair(dir, 'wrong-cn'), 'wrong-cn', intermediate),
    otherCa: await pair(dir, 'other-ca'),
    expired: await withChain(dir, await pair(dir, 'expired'), 'expired', intermediate),
    selfSigned: await pair(dir, 'self'),
    serverOnly: await withChain(dir, await pair(dir, 'server-only'), 'server-only', intermediate),
    twoCns: await withChain(dir, await pair(dir, 'two-cns'), 'two-cns', intermediate),
    forged: await forgedChain(dir, intermediate),
    leafOnly: await readFile(join(dir, 'good.pem'), 'utf8'),
  };
}
