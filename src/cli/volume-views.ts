/** What `sectorcrypt volume` commands print on stdout, one view per answer. */
import type { VolumeSummary } from '../volume/index.js';

/** Shows a command's result; `flags` where the command's own flags choose the form (--json). */
export type VolumeView<T, F = unknown> = (result: T, flags: F) => string;

/** Commands whose output is the data itself, or that only note progress on stderr. */
export const nothing: VolumeView<unknown> = () => '';

export const created: VolumeView<{ image: string; size: number }> = (r) => `created ${r.image}: ${r.size} data bytes, key slot 0\n`;

export const openChecked: VolumeView<{ image: string; keyslot?: number }> = (r) =>
  r.keyslot !== undefined ? `ok: key slot ${r.keyslot} opens ${r.image}\n` : `ok: ${r.image}\n`;

export const infoView: VolumeView<VolumeSummary, { json?: boolean }> = (info, f) => {
  if (f.json) return `${JSON.stringify(info, null, 2)}\n`;
  const lines = [
    `format:      LUKS2`,
    `uuid:        ${info.uuid}`,
    `label:       ${info.label || '(none)'}`,
    `cipher:      ${info.cipher}, ${info.keyBits}-bit key, ${info.sectorSize}-byte sectors`,
    `data:        ${info.dataSize} bytes from offset ${info.dataOffset}`,
    `key slots:   ${info.keyslots.map((k) => `${k.slot} (${k.kdf})`).join(', ') || 'none'}`,
    ...info.tokens.map(
      (t) =>
        `token ${t.token}:     ${t.type}, key slots ${t.keyslots.join(', ') || 'none'}${t.keyId ? `, broker key ${t.keyId} version ${t.version}` : ''}`,
    ),
    ...info.problems.map((p) => `warning:     ${p}`),
  ];
  return `${lines.join('\n')}\n`;
};

export const slotAdded: VolumeView<number> = (slot) => `added key slot ${slot}\n`;

export const slotRemoved: VolumeView<number | undefined> = (slot) => `removed key slot ${slot}\n`;

export const erased: VolumeView<string> = (image) => `erased the headers and key slots of ${image}\n`;

export const headerSaved: VolumeView<{ image: string; file: string }> = (r) => `header of ${r.image} saved to ${r.file}\n`;

export const headerRestored: VolumeView<{ image: string; file: string }> = (r) => `header of ${r.image} restored from ${r.file}\n`;
