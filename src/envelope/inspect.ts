/**
 * inspectEnvelope: what an envelope says about itself without any key: its stanza types and
 * public arguments (by index, as rekey's `remove` names them), header and payload sizes.
 * The MAC is not checked: that needs the file key.
 */
import { readHeaderOf } from './source-header.js';
import { thresholdGroups } from './stanzas/threshold.js';

export interface EnvelopeSummary {
  stanzas: { index: number; type: string; args: string[] }[];
  /** Threshold groups: k of n, and each member's stanza index, share index, type and broker hint. */
  groups: {
    stanza: number;
    groupId: string;
    k: number;
    n: number;
    members: { stanza: number; share: number; type: string; url?: string }[];
  }[];
  headerBytes: number;
  payloadBytes: number;
}

export async function inspectEnvelope(source: string | Uint8Array): Promise<EnvelopeSummary> {
  const { header, payloadBytes } = await readHeaderOf(source);
  return {
    stanzas: header.stanzas.map((s, index) => ({ index, type: s.type, args: [...s.args] })),
    groups: thresholdGroups(header.stanzas).map((g) => ({
      stanza: g.stanza,
      groupId: g.groupId,
      k: g.k,
      n: g.n,
      members: g.members.map((m) => ({ stanza: m.stanza, share: m.index, type: m.inner.type, ...(m.where ? { url: m.where } : {}) })),
    })),
    headerBytes: header.bytes.length,
    payloadBytes,
  };
}
