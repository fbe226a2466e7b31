/**
 * For the key broker's agent: the sealed secrets of an envelope's `broker` stanzas and the
 * envelope's resource name (`envelope:` + base64 of the payload salt), as a release request
 * carries them (docs/broker.md "The release, step by step").
 */
import { readHeaderOf } from './source-header.js';
import { BROKER, brokerSealedSecret, envelopeResource, type BrokerSealedSecret } from './stanzas/broker.js';

export interface EnvelopeBrokerSecrets {
  resource: string;
  sealed: (BrokerSealedSecret & { index: number })[];
}

export async function envelopeBrokerSecrets(source: string | Uint8Array): Promise<EnvelopeBrokerSecrets> {
  const { header, payloadStart } = await readHeaderOf(source);
  const sealed = header.stanzas.flatMap((stanza, index) => (stanza.type === BROKER ? [{ index, ...brokerSealedSecret(stanza) }] : []));
  return { resource: envelopeResource(payloadStart), sealed };
}
