/**
 * One X.509 chain check for every place the broker trusts a certificate by its CA (a TPM's EK
 * certificate, an XKS client's certificate): from the leaf, through CA certificates the
 * caller offers, to one of the trusted certificates, each link checked by name and signature
 * (RFC 5280 §6.1.3: issuer name, signature), every certificate on the way valid now, every
 * intermediate a CA by its basic constraints (RFC 5280 §4.2.1.9).
 */
import { X509Certificate } from 'node:crypto';

export type CertInput = string | Uint8Array | X509Certificate;

export function asCert(c: CertInput): X509Certificate {
  return c instanceof X509Certificate ? c : new X509Certificate(typeof c === 'string' ? c : Buffer.from(c));
}

export function validAt(c: X509Certificate, now: Date): boolean {
  return new Date(c.validFrom).getTime() <= now.getTime() && now.getTime() <= new Date(c.validTo).getTime();
}

/** Whether `parent` issued `child`: the names match and `child`'s signature verifies under `parent`'s key. */
export function issuedBy(child: X509Certificate, parent: X509Certificate): boolean {
  try {
    return child.checkIssued(parent) && child.verify(parent.publicKey);
  } catch {
    return false;
  }
}

/** A certificate's subject on one line, for messages. */
export function subjectLine(c: X509Certificate): string {
  return c.subject.replace(/\n/g, ', ');
}

export type ChainResult =
  { ok: true; chain: X509Certificate[]; anchor: X509Certificate } | { ok: false; kind: 'expired' | 'unchained'; reason: string };

/** Links at most: a leaf, a few intermediates and the trusted certificate. */
const MAX_CHAIN = 6;

/**
 * The chain from `leaf` to one of `trusted`, through `intermediates` (untrusted themselves).
 * The leaf's own dates are the caller's to check (its messages name what the leaf is).
 */
export function buildChain(leaf: X509Certificate, trusted: X509Certificate[], intermediates: X509Certificate[], now: Date): ChainResult {
  const chain = [leaf];
  let current = leaf;
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    const anchor = trusted.find((t) => issuedBy(current, t));
    if (anchor) {
      if (!validAt(anchor, now)) return { ok: false, kind: 'expired', reason: `the trusted CA ${subjectLine(anchor)} is not valid now` };
      return { ok: true, chain: [...chain, anchor], anchor };
    }
    const next = intermediates.find((i) => i.ca && !chain.includes(i) && issuedBy(current, i));
    if (!next) break;
    if (!validAt(next, now)) return { ok: false, kind: 'expired', reason: `the intermediate CA ${subjectLine(next)} is not valid now` };
    chain.push(next);
    current = next;
  }
  return {
    ok: false,
    kind: 'unchained',
    reason: `the certificate (issuer ${leaf.issuer.replace(/\n/g, ', ')}) does not chain to a trusted CA`,
  };
}
