/**
 * Checks a CMS / PKCS#7 SignedData (RFC 5652) against certificates the admin configured,
 * as cloud providers sign instance identity documents. Parsing is @peculiar/asn1-cms;
 * the signature itself is node:crypto. Only the configured certificates are trusted: any
 * certificate carried inside the PKCS#7 is ignored.
 */
import 'reflect-metadata';
import { createHash, createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import { Attribute, ContentInfo, SignedData, id_data, id_signedData } from '@peculiar/asn1-cms';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { SubjectKeyIdentifierExtension, X509Certificate } from '@peculiar/x509';
import { SectorCryptError } from '../../errors.js';

const DIGESTS: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** Signature algorithm OID to the key type it needs (RSA PKCS#1 v1.5, DSA, ECDSA). */
const SIGNATURE_KEYS: Record<string, string> = {
  '1.2.840.113549.1.1.1': 'rsa',
  '1.2.840.113549.1.1.5': 'rsa',
  '1.2.840.113549.1.1.11': 'rsa',
  '1.2.840.113549.1.1.12': 'rsa',
  '1.2.840.113549.1.1.13': 'rsa',
  '1.2.840.10040.4.1': 'dsa',
  '1.2.840.10040.4.3': 'dsa',
  '2.16.840.1.101.3.4.3.2': 'dsa',
  '1.2.840.10045.2.1': 'ec',
  '1.2.840.10045.4.1': 'ec',
  '1.2.840.10045.4.3.2': 'ec',
  '1.2.840.10045.4.3.3': 'ec',
  '1.2.840.10045.4.3.4': 'ec',
};

const ATTR_CONTENT_TYPE = '1.2.840.113549.1.9.3';
const ATTR_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const ATTR_SIGNING_TIME = '1.2.840.113549.1.9.5';

export interface VerifiedSignedData {
  /** The signed content (embedded, or the detached content given). */
  content: Buffer;
  /** The configured certificate that verified the signature. */
  signer: X509Certificate;
  /** The signingTime attribute, when the signer added one. */
  signingTime?: Date;
  digest: string;
}

/** PEM (any label) or bare base64 (as AWS serves it) or DER bytes, to DER. */
export function pkcs7Der(input: string | Uint8Array): Buffer {
  if (typeof input !== 'string') return Buffer.from(input);
  const body = input.replace(/-----(BEGIN|END) [A-Z0-9 ]+-----/g, '').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+=*$/.test(body)) throw new SectorCryptError('ERR_ARGUMENT', 'PKCS#7 is not base64 or PEM');
  return Buffer.from(body, 'base64');
}

const fail = (why: string): never => {
  throw new SectorCryptError('ERR_AUTH', `PKCS#7 signature not verified: ${why}`);
};

function parseSignedData(der: Buffer): SignedData {
  try {
    const info = AsnConvert.parse(der, ContentInfo);
    if (info.contentType !== id_signedData) throw new Error(`content type ${info.contentType}`);
    return AsnConvert.parse(info.content, SignedData);
  } catch (err) {
    throw new SectorCryptError('ERR_ARGUMENT', `not a PKCS#7 SignedData: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function embeddedContent(signed: SignedData): Buffer | undefined {
  const e = signed.encapContentInfo.eContent;
  if (!e) return undefined;
  if (e.single) return Buffer.from(e.single.buffer);
  // A constructed OCTET STRING (BER, chunked): its DER re-parsed as one OctetString.
  if (e.any) return Buffer.from(AsnConvert.parse(e.any, OctetString).buffer);
  return undefined;
}

function matchesSigner(cert: X509Certificate, sid: SignedData['signerInfos'][number]['sid']): boolean {
  if (sid.issuerAndSerialNumber) {
    const { issuer, serialNumber } = sid.issuerAndSerialNumber;
    const serial = Buffer.from(serialNumber)
      .toString('hex')
      .replace(/^(00)+(?=.)/, '');
    const certSerial = cert.serialNumber.toLowerCase().replace(/^(00)+(?=.)/, '');
    return serial === certSerial && Buffer.from(AsnConvert.serialize(issuer)).equals(Buffer.from(cert.issuerName.toArrayBuffer()));
  }
  if (sid.subjectKeyIdentifier) {
    const ski = cert.getExtension(SubjectKeyIdentifierExtension);
    return ski !== null && ski.keyId.toLowerCase() === Buffer.from(sid.subjectKeyIdentifier.buffer).toString('hex');
  }
  return false;
}

function attribute(attrs: { attrType: string; attrValues: ArrayBuffer[] }[], type: string): ArrayBuffer | undefined {
  const found = attrs.filter((a) => a.attrType === type);
  if (found.length > 1 || (found[0] && found[0].attrValues.length !== 1)) fail(`attribute ${type} is repeated`);
  return found[0]?.attrValues[0];
}

/**
 * Verifies `pkcs7` with one of `certificates` (PEM). `content` is required when the
 * signature is detached, and must equal the embedded content byte for byte otherwise.
 * Throws ERR_AUTH when nothing verifies, ERR_UNSUPPORTED for an algorithm not handled.
 */
export function verifySignedData(
  pkcs7: string | Uint8Array,
  options: { certificates: string[]; content?: string | Uint8Array },
): VerifiedSignedData {
  if (options.certificates.length === 0) throw new SectorCryptError('ERR_ARGUMENT', 'no provider certificate configured');
  const trusted = options.certificates.map((pem) => new X509Certificate(pem));
  const signed = parseSignedData(pkcs7Der(pkcs7));
  if (signed.encapContentInfo.eContentType !== id_data) fail(`content type ${signed.encapContentInfo.eContentType} is not id-data`);
  const embedded = embeddedContent(signed);
  const given = options.content === undefined ? undefined : Buffer.from(options.content);
  if (embedded && given && !embedded.equals(given)) fail('the document differs from the signed content');
  const content = embedded ?? given ?? fail('detached signature and no document given');

  const reasons: string[] = [];
  for (const info of signed.signerInfos) {
    const digest = DIGESTS[info.digestAlgorithm.algorithm];
    const keyType = SIGNATURE_KEYS[info.signatureAlgorithm.algorithm];
    if (!digest || !keyType) {
      reasons.push(`algorithm ${info.digestAlgorithm.algorithm} / ${info.signatureAlgorithm.algorithm} not supported`);
      continue;
    }
    const signer = trusted.find((cert) => matchesSigner(cert, info.sid));
    if (!signer) {
      reasons.push('signed by a certificate that is not configured');
      continue;
    }
    let signedBytes: Buffer = content;
    let signingTime: Date | undefined;
    if (info.signedAttrs) {
      // RFC 5652 5.4: the signature covers the attributes' DER with an explicit SET OF tag.
      const contentType = attribute(info.signedAttrs, ATTR_CONTENT_TYPE);
      const messageDigest = attribute(info.signedAttrs, ATTR_MESSAGE_DIGEST);
      if (!contentType || !messageDigest) fail('signed attributes lack contentType or messageDigest');
      const expected = createHash(digest).update(content).digest();
      if (!Buffer.from(AsnConvert.parse(messageDigest!, OctetString).buffer).equals(expected))
        fail('message digest does not match the content');
      const time = attribute(info.signedAttrs, ATTR_SIGNING_TIME);
      if (time) signingTime = parseTime(Buffer.from(time));
      signedBytes = derSetOf(info.signedAttrs);
    }
    const key: KeyObject = createPublicKey({ key: Buffer.from(signer.publicKey.rawData), format: 'der', type: 'spki' });
    if (key.asymmetricKeyType !== keyType) {
      reasons.push(`signature algorithm needs a ${keyType} key, the certificate has ${key.asymmetricKeyType}`);
      continue;
    }
    if (verifySignature(digest, signedBytes, key, Buffer.from(info.signature.buffer))) {
      return { content, signer, digest, ...(signingTime ? { signingTime } : {}) };
    }
    reasons.push('bad signature');
  }
  return fail(reasons.join('; ') || 'no signer');
}

/**
 * The DER of the signed attributes as a SET OF, in the order received: what the signer
 * signed when it sent DER (a BER-encoded set fails to verify: fail closed).
 */
function derSetOf(attrs: Attribute[]): Buffer {
  const body = Buffer.concat(
    attrs.map((a) => Buffer.from(AsnConvert.serialize(new Attribute({ attrType: a.attrType, attrValues: a.attrValues })))),
  );
  return Buffer.concat([Buffer.from([0x31]), derLength(body.length), body]);
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** UTCTime (tag 0x17, YYMMDDHHMMSSZ) or GeneralizedTime (0x18, YYYYMMDDHHMMSSZ). */
function parseTime(der: Buffer): Date | undefined {
  const text = der.subarray(2, 2 + der[1]!).toString('latin1');
  const match =
    der[0] === 0x17
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
      : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!match) return undefined;
  let year = Number(match[1]);
  if (der[0] === 0x17) year += year < 50 ? 2000 : 1900; // RFC 5280 4.1.2.5.1
  return new Date(Date.UTC(year, Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6])));
}
