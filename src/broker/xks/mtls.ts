/**
 * Optional mutual TLS per keystore (xks_proxy_api_spec.md "Authentication": the customer
 * configures the client certificate's subject name and its root CA; the proxy terminates a
 * connection whose certificate has another subject or chains to another CA).
 *
 * The XKS listener (`broker serve --xks-listen`) asks every client for a certificate but also
 * completes the handshake without one, since keystores without mTLS are served there too. The
 * decision is per call, by the keystore the URI path names: a keystore with mTLS set is served
 * only over that listener, to a client whose presented chain ends at one of its CA
 * certificates and whose subject CN is the configured one. Anything else is refused by
 * destroying the connection without an answer (proxy.ts, http/errors.ts), and recorded.
 */
import { X509Certificate, constants } from 'node:crypto';
import type { Server as TlsServer, TLSSocket, DetailedPeerCertificate } from 'node:tls';
import type { Socket } from 'node:net';
import { SectorCryptError } from '../../errors.js';
import { buildChain, subjectLine, validAt } from '../attest/x509-chain.js';

/** X.520's upper bound of a common name (RFC 5280 Appendix A, ub-common-name). */
export const MAX_COMMON_NAME = 64;

/**
 * The subject CN a keystore may require: printable characters that Node prints as they are in
 * a certificate's subject (none that RFC 4514 §2.4 escapes), so that the comparison is exact.
 */
const COMMON_NAME = /^[A-Za-z0-9*._:@/-](?:[A-Za-z0-9*._:@/ -]*[A-Za-z0-9*._:@/-])?$/;

/** CA certificates per keystore at most, and the PEM text's size (the five Amazon Trust Services roots take about 7 KiB). */
export const MAX_CA_CERTIFICATES = 16;
export const MAX_CA_PEM = 32_768;

/** Clients present a leaf and a few intermediates; more is not a chain this proxy builds. */
const MAX_PRESENTED = 8;

/** RFC 5280 §4.2.1.12: id-kp-clientAuth, and anyExtendedKeyUsage. */
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const ANY_EKU = '2.5.29.37.0';

function bad(message: string): never {
  throw new SectorCryptError('ERR_ARGUMENT', message);
}

export function checkCommonName(cn: string): string {
  if (cn.length === 0 || cn.length > MAX_COMMON_NAME || !COMMON_NAME.test(cn))
    bad(
      `the subject common name is 1 to ${MAX_COMMON_NAME} characters of A-Z a-z 0-9 * . _ : @ / - and inner spaces, e.g. cks.kms.us-east-1.amazonaws.com`,
    );
  return cn;
}

/**
 * CA certificates in PEM, one or more: text outside the blocks (comments of a bundle) is
 * ignored, a block that is not a CERTIFICATE (a private key pasted by mistake) is refused, and
 * every certificate must parse and be a CA by its basic constraints.
 */
export function parseCaBundle(pem: string): X509Certificate[] {
  if (pem.length > MAX_CA_PEM) bad(`the CA certificates are over ${MAX_CA_PEM} characters of PEM`);
  // Line by line (RFC 7468 §2): a BEGIN line, Base64 lines, the END line with the same label.
  const blocks: [string, string][] = [];
  let open: { label: string; lines: string[] } | undefined;
  for (const line of pem.split(/\r?\n/)) {
    const t = line.trim();
    const begin = /^-----BEGIN ([A-Z0-9 ]{1,40})-----$/.exec(t);
    const end = /^-----END ([A-Z0-9 ]{1,40})-----$/.exec(t);
    if (begin) {
      if (open) bad('the CA certificates have a PEM block without its END line');
      open = { label: begin[1]!, lines: [t] };
    } else if (end) {
      if (!open || open.label !== end[1]) bad('the CA certificates have an END line without its BEGIN line');
      open.lines.push(t);
      blocks.push([open.lines.join('\n'), open.label]);
      open = undefined;
    } else if (open) {
      open.lines.push(t);
    } else if (t.includes('-----')) {
      bad('the CA certificates have a malformed PEM line');
    }
  }
  if (open) bad('the CA certificates have a PEM block without its END line');
  if (blocks.length === 0) bad('no PEM CERTIFICATE block in the CA certificates');
  if (blocks.length > MAX_CA_CERTIFICATES) bad(`at most ${MAX_CA_CERTIFICATES} CA certificates per keystore`);
  const out: X509Certificate[] = [];
  for (const [block, label] of blocks) {
    if (label !== 'CERTIFICATE') bad(`the CA certificates hold a ${label} block: only CERTIFICATE blocks are taken`);
    let c: X509Certificate;
    try {
      c = new X509Certificate(block);
    } catch {
      return bad('a CA certificate does not parse');
    }
    if (!c.ca) bad(`the certificate ${subjectLine(c)} is not a CA certificate (basic constraints)`);
    if (!out.some((o) => o.fingerprint256 === c.fingerprint256)) out.push(c);
  }
  return out;
}

/** Parsed CA bundles by their stored text: the hot path parses a keystore's bundle once. */
const PARSED = new Map<string, X509Certificate[]>();
const MAX_PARSED = 256;

function caCertificates(pem: string): X509Certificate[] {
  let cas = PARSED.get(pem);
  if (!cas) {
    cas = parseCaBundle(pem);
    if (PARSED.size >= MAX_PARSED) PARSED.clear();
    PARSED.set(pem, cas);
  }
  return cas;
}

/**
 * The XKS listener's TLS options beside its key and certificate: a certificate asked of every
 * client, none required, none checked by OpenSSL (each keystore's CAs are checked per call).
 * No session tickets: a resumed session keeps the client's leaf but not the intermediates it
 * sent (SSL_get_peer_cert_chain is empty after resumption), so every connection is a full
 * handshake whose presented chain can be checked.
 */
export const XKS_TLS_OPTIONS = { requestCert: true, rejectUnauthorized: false, secureOptions: constants.SSL_OP_NO_TICKET } as const;

/**
 * Connections accepted by an XKS listener (the only ones whose client certificates count), each
 * with the settings its chain passed and until when: a connection's chain is checked once per
 * keystore setting, not on every call (a check parses and verifies every certificate). The key
 * is the settings' text, so a changed setting is checked afresh at the next call.
 */
const XKS_SOCKETS = new WeakMap<object, Map<string, number>>();

/** Settings remembered per connection at most, and for how long (the chain's dates also bound it). */
const MAX_PASSED = 16;
const PASSED_MS = 5 * 60_000;

/** Marks the server's connections as the XKS listener's (http/app.ts, for `--xks-listen`). */
export function markXksListener(server: TlsServer): void {
  server.on('secureConnection', (socket: TLSSocket) => {
    // TLS 1.2 renegotiation could present another certificate on the same connection.
    socket.disableRenegotiation();
    XKS_SOCKETS.set(socket, new Map());
  });
}

/** The certificates the client presented, leaf first (Node links them by issuer; a loop ends the walk). */
function presentedChain(socket: TLSSocket): X509Certificate[] {
  const out: X509Certificate[] = [];
  const seen = new Set<string>();
  let c: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (c && c.raw && out.length < MAX_PRESENTED && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    out.push(new X509Certificate(c.raw));
    c = c.issuerCertificate;
  }
  return out;
}

function extendedKeyUsage(c: X509Certificate): string[] | undefined {
  // Node 20's keyUsage is the extended key usage; later versions name it extKeyUsage.
  return (c as unknown as { extKeyUsage?: string[] }).extKeyUsage ?? c.keyUsage;
}

/** The subject's common names, as Node prints the subject (one attribute a line, RFC 4514 escapes). */
function commonNames(c: X509Certificate): string[] {
  return c.subject
    .split('\n')
    .filter((l) => l.startsWith('CN='))
    .map((l) => l.slice(3));
}

export type MtlsCheck = { ok: true } | { ok: false; reason: string; client?: string };

/**
 * Whether this call may reach a keystore with mTLS set: over the XKS listener, with a client
 * chain ending at one of `caPem`'s certificates, every certificate valid now, the leaf for
 * client authentication, its one subject CN equal to `subjectCn`. The reason is for the audit
 * record (never a secret); `client` is the leaf's SHA-256 fingerprint. A connection whose
 * chain passed for these settings is not checked again for five minutes (or until a
 * certificate of the chain expires, if sooner).
 */
export function checkClientCertificate(socket: Socket, subjectCn: string, caPem: string, now: Date): MtlsCheck {
  const passed = XKS_SOCKETS.get(socket);
  if (!passed) return { ok: false, reason: 'not over the XKS listener (this keystore requires mutual TLS)' };
  const settings = `${subjectCn}\n${caPem}`;
  const until = passed.get(settings);
  if (until !== undefined && now.getTime() < until) return { ok: true };
  const m = checkChain(socket as TLSSocket, subjectCn, caPem, now);
  if (m.ok) {
    if (passed.size >= MAX_PASSED) passed.clear();
    passed.set(settings, Math.min(now.getTime() + PASSED_MS, ...m.chain.map((c) => new Date(c.validTo).getTime())));
  }
  return m.ok ? { ok: true } : m;
}

/** The checks themselves, on the chain the client presented. */
function checkChain(
  socket: TLSSocket,
  subjectCn: string,
  caPem: string,
  now: Date,
): { ok: true; chain: X509Certificate[] } | (MtlsCheck & { ok: false }) {
  let chain: X509Certificate[];
  try {
    chain = presentedChain(socket);
  } catch {
    return { ok: false, reason: 'the client certificate does not parse' };
  }
  const leaf = chain[0];
  if (!leaf) return { ok: false, reason: 'no client certificate' };
  const client = leaf.fingerprint256;
  if (!validAt(leaf, now)) return { ok: false, reason: 'the client certificate is not valid now', client };
  const eku = extendedKeyUsage(leaf);
  if (eku && !eku.includes(CLIENT_AUTH) && !eku.includes(ANY_EKU))
    return { ok: false, reason: 'the client certificate is not for client authentication', client };
  const built = buildChain(leaf, caCertificates(caPem), chain.slice(1), now);
  if (!built.ok)
    return {
      ok: false,
      reason: built.kind === 'expired' ? built.reason : "the client certificate does not chain to the keystore's CA certificates",
      client,
    };
  const cns = commonNames(leaf);
  if (cns.length !== 1 || cns[0] !== subjectCn) return { ok: false, reason: 'the client certificate has another subject CN', client };
  return { ok: true, chain: built.chain };
}
