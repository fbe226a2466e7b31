/**
 * The EK certificate (TCG EK Credential Profile 2.0 §3): it must chain to a CA certificate the
 * tenant trusts (a TPM manufacturer's root or intermediate), every certificate on the way
 * valid now, and certify the EK public key the agent presents.
 */
import { X509Certificate } from 'node:crypto';
import { publicKeyObject, type TpmPublic } from './public.js';

export interface EkTrust {
  /** CA certificates the tenant trusts (PEM or DER); a chain ends at any of them. */
  trusted: (string | Uint8Array | X509Certificate)[];
  /** Intermediates that may be used to build the chain but are not trusted themselves. */
  intermediates?: (string | Uint8Array | X509Certificate)[];
}

export type EkCertResult = { ok: true; certificate: X509Certificate; chain: X509Certificate[] } | { ok: false; reason: string };

const MAX_CHAIN = 6;

function asCert(c: string | Uint8Array | X509Certificate): X509Certificate {
  return c instanceof X509Certificate ? c : new X509Certificate(typeof c === 'string' ? c : Buffer.from(c));
}

function validAt(c: X509Certificate, now: Date): boolean {
  return new Date(c.validFrom).getTime() <= now.getTime() && now.getTime() <= new Date(c.validTo).getTime();
}

function spki(c: X509Certificate | ReturnType<typeof publicKeyObject>): Buffer {
  const key = c instanceof X509Certificate ? c.publicKey : c;
  return key.export({ type: 'spki', format: 'der' });
}

function issuedBy(child: X509Certificate, parent: X509Certificate): boolean {
  try {
    return child.checkIssued(parent) && child.verify(parent.publicKey);
  } catch {
    return false;
  }
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
  const chain = [leaf];
  let current = leaf;
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    const anchor = trusted.find((t) => issuedBy(current, t));
    if (anchor) {
      if (!validAt(anchor, now)) return { ok: false, reason: `the trusted CA ${anchor.subject.replace(/\n/g, ', ')} is not valid now` };
      return { ok: true, certificate: leaf, chain: [...chain, anchor] };
    }
    const next = intermediates.find((i) => i.ca && !chain.includes(i) && issuedBy(current, i));
    if (!next) break;
    if (!validAt(next, now)) return { ok: false, reason: `the intermediate CA ${next.subject.replace(/\n/g, ', ')} is not valid now` };
    chain.push(next);
    current = next;
  }
  return {
    ok: false,
    reason: `the EK certificate (issuer ${leaf.issuer.replace(/\n/g, ', ')}) does not chain to a trusted TPM manufacturer CA`,
  };
}
