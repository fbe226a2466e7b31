/**
 * The EK certificate (TCG EK Credential Profile 2.0 §3): it must chain to a CA certificate the
 * tenant trusts (a TPM manufacturer's root or intermediate), every certificate on the way
 * valid now, and certify the EK public key the agent presents.
 */
import { X509Certificate } from 'node:crypto';
import { publicKeyObject, type TpmPublic } from './public.js';
import { asCert, buildChain, validAt, type CertInput } from '../x509-chain.js';

export interface EkTrust {
  /** CA certificates the tenant trusts (PEM or DER); a chain ends at any of them. */
  trusted: CertInput[];
  /** Intermediates that may be used to build the chain but are not trusted themselves. */
  intermediates?: CertInput[];
}

export type EkCertResult = { ok: true; certificate: X509Certificate; chain: X509Certificate[] } | { ok: false; reason: string };

function spki(c: X509Certificate | ReturnType<typeof publicKeyObject>): Buffer {
  const key = c instanceof X509Certificate ? c.publicKey : c;
  return key.export({ type: 'spki', format: 'der' });
}

export function verifyEkCertificate(certDer: Uint8Array, ek: TpmPublic, trust: EkTrust, now: Date = new Date()): EkCertResult {
  let leaf: X509Certificate;
  let trusted: X509Certificate[];
  let intermediates: X509Certificate[];
  try {
    leaf = new X509Certificate(Buffer.from(certDer));
  } catch {
    return { ok: false, reason: 'the EK certificate does not parse' };
  }
  try {
    trusted = trust.trusted.map(asCert);
    intermediates = (trust.intermediates ?? []).map(asCert);
  } catch {
    return { ok: false, reason: 'a trusted TPM CA certificate does not parse' };
  }
  if (trusted.length === 0) return { ok: false, reason: 'no TPM manufacturer CA is trusted' };
  if (!validAt(leaf, now)) return { ok: false, reason: `the EK certificate is not valid now (${leaf.validFrom} to ${leaf.validTo})` };
  let ekKey;
  try {
    ekKey = publicKeyObject(ek);
  } catch {
    return { ok: false, reason: 'the EK public is not a valid key' };
  }
  if (!spki(leaf).equals(spki(ekKey))) return { ok: false, reason: 'the EK certificate certifies another key than the EK presented' };
  const built = buildChain(leaf, trusted, intermediates, now);
  if (built.ok) return { ok: true, certificate: leaf, chain: built.chain };
  if (built.kind === 'expired') return { ok: false, reason: built.reason };
  return {
    ok: false,
    reason: `the EK certificate (issuer ${leaf.issuer.replace(/\n/g, ', ')}) does not chain to a trusted TPM manufacturer CA`,
  };
}
