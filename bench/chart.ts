/**
 * Draws bench/chart.svg from the JSON of `sectorcrypt bench --json`: encrypt MB/s per
 * implementation, one group of bars per mode, key size and unit. Plain SVG, no libraries.
 *
 *   node --import tsx bench/chart.ts bench/results.json bench/chart.svg
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { BenchReport, ResultRow } from '../src/bench/run.js';

const [input = 'bench/results.json', output = 'bench/chart.svg'] = process.argv.slice(2);
const report = JSON.parse(readFileSync(input, 'utf8')) as BenchReport;

const COLORS: Record<string, string> = {
  'native/vaes-avx512': '#1b5e20',
  'native/vaes-avx2': '#43a047',
  'native/aesni': '#a5d6a7',
  'portable/portable': '#7e57c2',
  'node:crypto/openssl': '#1e88e5',
};
const fallbackColor = '#9e9e9e';

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function groupName(r: ResultRow): string {
  const unit = r.unit >= 1024 ? `${r.unit / 1024} KiB` : `${r.unit} B`;
  return `${r.mode.toUpperCase()}-${r.keyBits}, ${unit}`;
}

const groups = new Map<string, ResultRow[]>();
for (const r of report.rows) groups.set(groupName(r), [...(groups.get(groupName(r)) ?? []), r]);

const barHeight = 14;
const gap = 3;
const groupGap = 18;
const left = 150;
const plotWidth = 520;
const labelWidth = 90;
const max = Math.max(...report.rows.map((r) => r.encryptMBps));
const scale = plotWidth / max;

const parts: string[] = [];
let y = 50;
for (const [name, rows] of groups) {
  parts.push(
    `<text x="${left - 8}" y="${y + ((barHeight + gap) * rows.length) / 2 + 4}" text-anchor="end" font-weight="bold">${escape(name)}</text>`,
  );
  for (const r of rows) {
    const impl = `${r.backend}/${r.kernel}`;
    const width = Math.max(1, r.encryptMBps * scale);
    parts.push(`<rect x="${left}" y="${y}" width="${width.toFixed(1)}" height="${barHeight}" fill="${COLORS[impl] ?? fallbackColor}"/>`);
    parts.push(`<text x="${left + width + 4}" y="${y + barHeight - 3}">${escape(impl)} ${Math.round(r.encryptMBps)}</text>`);
    y += barHeight + gap;
  }
  y += groupGap;
}

const width = left + plotWidth + labelWidth + 150;
const title = `sectorcrypt bench: encrypt MB/s (median), ${escape(report.cpu.model)}, node ${report.node}`;
const svg = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 10}" font-family="sans-serif" font-size="11">`,
  `<rect width="100%" height="100%" fill="white"/>`,
  `<text x="10" y="20" font-size="14" font-weight="bold">${title}</text>`,
  `<text x="10" y="36" fill="#555">XTS: 1 MiB batches in place; GCM: one 16 KiB message per call; node:crypto: one cipher per sector or message</text>`,
  ...parts,
  `</svg>`,
].join('\n');
writeFileSync(output, `${svg}\n`);
console.log(`wrote ${output} (${report.rows.length} bars)`);
