/**
 * The qualifying data (TPM2_Quote's extraData, TPM 2.0 Part 3 §18.4) a quote for one release
 * carries: both ends compute it, the agent to ask for the quote, the broker to check it
 * (src/broker/attest/tpm/quote.ts imports it from here: the agent imports nothing of the broker).
 */
import { createHash } from 'node:crypto';

/**
 * SHA-256 over a domain label, the broker's challenge and the signed request, each
 * length-prefixed, so a quote answers one challenge for one request and nothing else.
 */
export function quoteQualifyingData(challenge: Uint8Array, signedRequest: Uint8Array): Uint8Array {
  const len = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  return new Uint8Array(
    createHash('sha256')
      .update('sectorcrypt tpm quote v1\0')
      .update(len(challenge.length))
      .update(challenge)
      .update(len(signedRequest.length))
      .update(signedRequest)
      .digest(),
  );
}
