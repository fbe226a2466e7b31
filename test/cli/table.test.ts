/** The readable output of `sectorcrypt broker ...` (src/cli/table.ts). */
import { describe, expect, it } from 'vitest';
import { cell, formatFields, formatSecret, formatTable, styleFor, truncate } from '../../src/cli/table.js';

describe('table output', () => {
  const rows = [
    { id: 'usr_1', name: 'alice', roles: ['admin'] },
    { id: 'usr_22', name: 'a much longer name than fits in the column', roles: ['approver', 'auditor'] },
  ];
  const columns = [
    { header: 'ID', value: (r: (typeof rows)[number]) => r.id, max: Infinity },
    { header: 'NAME', value: (r: (typeof rows)[number]) => r.name, max: 12 },
    { header: 'ROLES', value: (r: (typeof rows)[number]) => r.roles },
  ];

  it('aligns columns, cuts long values with an ellipsis, and trims line ends', () => {
    expect(formatTable(rows, columns).split('\n')).toEqual([
      'ID      NAME          ROLES',
      'usr_1   alice         admin',
      'usr_22  a much long…  approver, auditor',
      '',
    ]);
    expect(formatTable([], columns, { empty: '(no users)' })).toBe('(no users)\n');
  });

  it('writes label: value blocks, one line per list item', () => {
    expect(
      formatFields([
        ['key', 'bk_1'],
        ['public key', 'x'],
        ['hashes', ['h1', 'h2']],
        ['revoked', null],
      ]),
    ).toBe('key:         bk_1\npublic key:  x\nhashes:      h1\n             h2\nrevoked:     -\n');
  });

  it('shows values on one line and never colours a pipe or NO_COLOR', () => {
    expect(cell('a\nb\u001b[31m')).toBe('a b [31m');
    expect(cell(true)).toBe('yes');
    expect(cell({ a: 1 })).toBe('{"a":1}');
    expect(truncate('héllo wörld', 5)).toBe('héll…');
    expect(styleFor({ isTTY: false }, {})).toEqual({ bold: false });
    expect(styleFor({ isTTY: true }, { NO_COLOR: '1' })).toEqual({ bold: false });
    expect(styleFor({ isTTY: true }, { TERM: 'xterm' })).toEqual({ bold: true });
    expect(formatTable(rows, columns, { style: { bold: true } })).toMatch(/^\u001b\[1mID {4}\u001b\[22m  \u001b\[1mNAME/);
  });

  it('prints a secret whole, with the warning that it is shown once', () => {
    const token = `sct_${'x'.repeat(43)}`;
    const text = formatSecret('the API token', token);
    expect(text).toContain('shown only once');
    expect(text.split('\n')).toContain(token);
  });
});
