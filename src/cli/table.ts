/**
 * Readable output for people: aligned tables for lists, `label: value` blocks for single
 * objects. Scripts use --json instead; nothing here is meant to be parsed.
 *
 * Cells are one line each (control characters shown as spaces), cut to the column's width
 * with a trailing "…". Headers are bold only on a terminal that allows colour (NO_COLOR,
 * https://no-color.org, turns it off).
 */

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
  /** Widest the column gets before values are cut (default 40; Infinity for ids). */
  max?: number;
}

export interface Style {
  bold: boolean;
}

/** Bold headers only on a terminal, and never under NO_COLOR. */
export function styleFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Style {
  return { bold: stream.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb' };
}

/** One line of text for a value: '-' for none, lists joined, objects as compact JSON. */
export function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value))
    return value.length ? value.map((v) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v))).join(', ') : '-';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return text.replace(/[\u0000-\u001f\u007f]/g, ' ');
}

/** Cuts `text` to `max` characters (code points), the last one an ellipsis. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  if (max <= 1) return '…'.slice(0, max);
  return `${chars.slice(0, max - 1).join('')}…`;
}

const width = (s: string) => [...s].length;
const pad = (s: string, w: number) => s + ' '.repeat(Math.max(0, w - width(s)));
const bold = (s: string, style: Style) => (style.bold ? `\u001b[1m${s}\u001b[22m` : s);

/** An aligned table, two spaces between columns, or `empty` when there are no rows. */
export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[], opts: { style?: Style; empty?: string } = {}): string {
  const style = opts.style ?? { bold: false };
  if (!rows.length) return `${opts.empty ?? '(none)'}\n`;
  const cells = rows.map((row) => columns.map((c) => truncate(cell(c.value(row)), c.max ?? 40)));
  const widths = columns.map((c, i) => Math.max(width(c.header), ...cells.map((r) => width(r[i]!))));
  const line = (values: string[], head = false) =>
    values
      .map((v, i) => {
        const last = i === values.length - 1;
        const text = last ? v : pad(v, widths[i]!);
        return head ? bold(text, style) : text;
      })
      .join('  ')
      .trimEnd();
  return `${[
    line(
      columns.map((c) => c.header),
      true,
    ),
    ...cells.map((r) => line(r)),
  ].join('\n')}\n`;
}

/** `label: value` lines, the values aligned; a list value gets one line per item. */
export function formatFields(fields: readonly (readonly [string, unknown])[], opts: { style?: Style } = {}): string {
  const style = opts.style ?? { bold: false };
  const labelWidth = Math.max(0, ...fields.map(([label]) => width(label) + 1));
  const out: string[] = [];
  for (const [label, value] of fields) {
    const head = bold(pad(`${label}:`, labelWidth), style);
    if (Array.isArray(value) && value.length > 1) {
      out.push(`${head}  ${cell(value[0])}`);
      for (const item of value.slice(1)) out.push(`${' '.repeat(labelWidth)}  ${cell(item)}`);
    } else {
      out.push(`${head}  ${cell(value)}`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** A secret the broker shows once: printed whole, on its own line, with the warning. */
export function formatSecret(what: string, secret: string): string {
  return `\n${what} (shown only once; it cannot be shown again, keep it safe):\n${secret}\n`;
}
