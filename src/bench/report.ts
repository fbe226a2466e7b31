/** The human-readable table for `sectorcrypt bench`, in the spirit of `cryptsetup benchmark`. */
import type { BenchReport, ResultRow } from './run.js';

function mbps(n: number): string {
  return `${n >= 100 ? n.toFixed(0) : n.toFixed(1)} MB/s`;
}

function ratio(r: ResultRow): string {
  if (!r.vsNodeCrypto) return '';
  const { encrypt, decrypt } = r.vsNodeCrypto;
  return `${encrypt.toFixed(2)}x / ${decrypt.toFixed(2)}x`;
}

function ofCeiling(r: ResultRow): string {
  if (!r.ofCeiling) return '';
  const pct = (f: number) => `${(f * 100).toFixed(0)}%`;
  return `${pct(r.ofCeiling.encrypt)} / ${pct(r.ofCeiling.decrypt)}`;
}

function unit(r: ResultRow): string {
  return r.unit >= 1024 ? `${r.unit / 1024} KiB` : `${r.unit} B`;
}

export function formatTable(report: BenchReport): string {
  const features = Object.entries(report.cpu.features)
    .filter(([, on]) => on)
    .map(([name]) => name);
  const lines: string[] = [];
  lines.push(`# CPU: ${report.cpu.model}, ${report.cpu.cores} cores; ${features.join(' ') || 'no AES features seen'}`);
  lines.push(
    `# sectorcrypt ${report.sectorcrypt}, node ${report.node}, OpenSSL ${report.openssl}; default backend ${report.backend.backend}/${report.backend.kernel}`,
  );
  lines.push(`# ${report.unit}, ${report.seconds} s per measurement; "vs node" = rate / node:crypto's (encrypt / decrypt)`);
  lines.push(`# XTS: ${1 << 20}-byte batches of sectors, in place; node:crypto makes one cipher per sector.`);
  lines.push(`# GCM: one message per call; node:crypto makes one cipher per message.`);
  if (report.ceilings.length > 0) {
    lines.push(
      `# AES ceiling per kernel (8 independent register chains of AES rounds, no memory; median of ${report.ceilings[0].runs} runs):`,
    );
    for (const c of report.ceilings) lines.push(`#   ${c.kernel.padEnd(12)} aes-${c.keyBits} ${mbps(c.mbps).padStart(11)}`);
    lines.push(
      `# "of ceiling" = rate / the kernel's ceiling at the row's key size, measured just before the row (other rows: the fastest kernel's).`,
    );
  }
  const header = ['mode', 'key', 'unit', 'backend/kernel', 'encrypt', 'decrypt', 'vs node', 'of ceiling'];
  const table = report.rows.map((r) => [
    r.mode,
    `${r.keyBits}b`,
    unit(r),
    `${r.backend}/${r.kernel}`,
    mbps(r.encryptMBps),
    mbps(r.decryptMBps),
    ratio(r),
    ofCeiling(r),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const pad = (cells: string[]) =>
    cells
      .map((c, i) => (i >= 4 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  lines.push(pad(header));
  for (const row of table) lines.push(pad(row));
  for (const s of report.scaling) {
    lines.push('');
    lines.push(
      `# xts-${s.keyBits}, ${s.bytes >> 20} MiB of ${s.unit}-byte sectors on ${s.kernel}: sync ${mbps(s.syncMBps)}, ` +
        `async over ${s.cores} cores ${mbps(s.asyncMBps)} (${s.ratio.toFixed(2)}x)`,
    );
  }
  if (report.opensslSpeed.length > 0) {
    lines.push('');
    lines.push(
      `# ${report.opensslSpeed[0].version}, \`openssl speed -evp\` at 16 KiB (its own assembly, no allocation); "best" = fastest sectorcrypt kernel over it:`,
    );
    for (const o of report.opensslSpeed) {
      const ours = report.rows
        .filter(
          (r) => r.backend === 'native' && r.mode === o.mode && r.keyBits === o.keyBits && r.unit === (o.mode === 'xts' ? 4096 : 16384),
        )
        .map((r) => (o.direction === 'encrypt' ? r.encryptMBps : r.decryptMBps));
      const best = ours.length > 0 ? ` best ${(Math.max(...ours) / o.mbps).toFixed(2)}x` : '';
      lines.push(`#   aes-${o.keyBits}-${o.mode} ${o.direction.padEnd(7)} ${mbps(o.mbps).padStart(11)}${best}`);
    }
  }
  return lines.join('\n');
}
