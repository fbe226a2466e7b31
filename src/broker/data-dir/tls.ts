/**
 * The broker's own small PKI (made once by `broker init`): a CA, and a server certificate it
 * signs, both ECDSA P-256 with SHA-256. Agents pin the CA, so a certificate from any public
 * CA for the same name does not impersonate the broker.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

type KeyPair = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;
const SERVER_DAYS = 825;

export interface BrokerPki {
  caPem: string;
  caKeyPem: string;
  serverPem: string;
  serverKeyPem: string;
}

async function keyPem(key: KeyPair['privateKey']): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key as webcrypto.CryptoKey);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** `names`: extra DNS names or IP addresses for the server certificate (--name). */
export async function makePki(names: string[]): Promise<BrokerPki> {
  const now = Date.now();
  const caKeys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as unknown as KeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=sectorcrypt broker CA',
    keys: caKeys,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 3650 * DAY),
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  const server = await issueServer(ca, caKeys.privateKey, names, now, SERVER_DAYS);
  return { caPem: ca.toString('pem'), caKeyPem: await keyPem(caKeys.privateKey), ...server };
}

/** A server certificate for localhost, 127.0.0.1 and `names`, signed by the CA. */
async function issueServer(
  ca: x509.X509Certificate,
  caKey: KeyPair['privateKey'],
  names: string[],
  now: number,
  days: number,
): Promise<{ serverPem: string; serverKeyPem: string }> {
  const serverKeys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as unknown as KeyPair;
  const all = [...new Set(['localhost', '127.0.0.1', ...names])];
  const san = all.map((n) => (isIP(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n }));
  const server = await x509.X509CertificateGenerator.create({
    subject: `CN=${all.find((n) => !isIP(n) && n !== 'localhost') ?? 'localhost'}`,
    issuer: ca.subject,
    publicKey: serverKeys.publicKey,
    signingKey: caKey,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + days * DAY),
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(san),
      await x509.AuthorityKeyIdentifierExtension.create(ca.publicKey),
    ],
  });
  return { serverPem: server.toString('pem'), serverKeyPem: await keyPem(serverKeys.privateKey) };
}

/** The DNS names and IP addresses a certificate is for (its subject alternative names). */
export function certificateNames(pem: string): string[] {
  const san = new x509.X509Certificate(pem).getExtension(x509.SubjectAlternativeNameExtension);
  return (san?.names.items ?? []).filter((n) => n.type === 'dns' || n.type === 'ip').map((n) => n.value);
}

/** When a certificate (PEM) stops being valid. */
export function certificateNotAfter(pem: string): Date {
  return new x509.X509Certificate(pem).notAfter;
}

/**
 * A new server certificate from the broker's CA (`broker cert renew`): the names of the
 * current one plus `names`, a new key, `days` of life (default 825, as `init` gives).
 */
export async function renewServer(
  caPem: string,
  caKeyPem: string,
  currentPem: string,
  names: string[],
  days = SERVER_DAYS,
): Promise<{ serverPem: string; serverKeyPem: string; names: string[] }> {
  const ca = new x509.X509Certificate(caPem);
  const der = x509.PemConverter.decodeFirst(caKeyPem);
  const caKey = (await webcrypto.subtle.importKey('pkcs8', der, EC, false, ['sign'])) as unknown as KeyPair['privateKey'];
  const all = [...new Set([...certificateNames(currentPem), ...names])];
  return { ...(await issueServer(ca, caKey, all, Date.now(), days)), names: all };
}
