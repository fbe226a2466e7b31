/**
 * The strings and limits both ends of the broker protocol must agree on (docs/broker.md
 * "The release, step by step", docs/envelope.md "The broker recipient"): one declaration,
 * imported by the broker, the agent, the envelope and volume formats.
 */

/** The largest request body the broker reads (docs/broker.md "Errors": over it, 413). */
export const BODY_LIMIT = 64 * 1024;

/** A policy may be larger: an `allIn` allowlist of IMA measurements names many files (docs/policies.md). */
export const POLICY_BODY_LIMIT = 2 * 1024 * 1024;

/** HPKE info of the reply: the released secret sealed to the agent's one-time key; its aad is the request id. */
export const REPLY_INFO = 'sectorcrypt-broker/v1 release';

/** What a sealed secret was sealed for: an envelope's broker stanza or a LUKS2 volume's broker token. */
export type SealedKind = 'envelope' | 'luks2';

/** HPKE info of a secret sealed to a broker key version, by kind. */
export const SEALED_INFO: Readonly<Record<SealedKind, string>> = {
  envelope: 'sectorcrypt-envelope/v1 broker',
  luks2: 'sectorcrypt-luks2/v1 broker',
};

/** HPKE aad of a sealed secret: "<keyId>/<version>", and "/<volume UUID>" after it for a LUKS2 token. */
export function sealedAad(keyId: string, version: number, volumeUuid?: string): string {
  return volumeUuid === undefined ? `${keyId}/${version}` : `${keyId}/${version}/${volumeUuid}`;
}
