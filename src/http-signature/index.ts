/** RFC 9421 request signatures with Ed25519 and RFC 9530 content digests, shared by agent and broker. */
export { signRequest, SIGNATURE_LABEL, COVERED, type SignRequestInput } from './sign.js';
export { verifyRequest, type VerifyRequestInput, type VerifiedRequest, type HeaderBag } from './verify.js';
export { contentDigest, contentDigestMatches } from './digest.js';
export { signatureBase, signatureParams } from './base.js';
export { ed25519PublicKey, generateEd25519KeyPair } from '../keys/ed25519.js';
