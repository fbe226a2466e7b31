/**
 * inspectEnvelope: what an envelope says about itself without any key: its stanza types and
 * public arguments (by index, as rekey's `remove` names them), header and payload sizes.
 * The MAC is not checked: that needs the file key.
 */
import { readHeaderOf } from './source-header.js';

export interface EnvelopeSummary {
  stanzas: { index: number; type: string; args: string[] }[];
  headerBytes: number;
  payloadBytes: number;
}

export async function inspectEnvelope(source: string | Uint8Array): Promise<EnvelopeSummary> {
  const { header, payloadBytes } = await readHeaderOf(source);
  return {
    stanzas: header.stanzas.map((s, index) => ({ index, type: s.type, args: [...s.args] })),
    headerBytes: header.bytes.length,
    payloadBytes,
  };
}
