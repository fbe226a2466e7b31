/** Ways to tamper with a 100-record export, and what the verifier must say about each. */
export interface Tampering {
  what: string;
  apply(lines: readonly string[]): string[];
  expect: RegExp;
}

const edit = (lines: readonly string[], i: number, from: string, to: string): string[] => {
  const copy = [...lines];
  if (!copy[i]!.includes(from)) throw new Error(`line ${i + 1} holds no ${from}`);
  copy[i] = copy[i]!.replace(from, to);
  return copy;
};

export const tamperings: Tampering[] = [
  {
    what: 'a record is edited (outcome denied -> ok)',
    apply: (lines) => edit(lines, 40, '"outcome":"denied"', '"outcome":"ok"'),
    expect: /line 41: record seq 40 was edited/,
  },
  {
    what: 'a record is re-encoded (not canonical any more)',
    apply: (lines) => edit(lines, 12, '"action":', '"action": '),
    expect: /line 13: record seq 12 is not in canonical JSON form \(re-encoded or edited\)/,
  },
  {
    what: 'a record is removed',
    apply: (lines) => lines.filter((_, i) => i !== 33),
    expect: /line 34: record seq 33 was removed \(the next record is seq 34\)/,
  },
  {
    what: 'two records are swapped',
    apply: (lines) => [...lines.slice(0, 50), lines[51]!, lines[50]!, ...lines.slice(52)],
    expect: /line 51: seq 51 stands where seq 50 belongs; seq 50 follows at line 52: records were moved/,
  },
  {
    what: 'a record is moved far ahead',
    apply: (lines) => [...lines.slice(0, 20), ...lines.slice(21, 70), lines[20]!, ...lines.slice(70)],
    expect: /line 21: seq 21 stands where seq 20 belongs; seq 20 follows at line 70/,
  },
  {
    what: 'a copy of a record is inserted',
    apply: (lines) => [...lines.slice(0, 61), lines[60]!, ...lines.slice(61)],
    expect: /line 62: record seq 60 appears again after seq 60: a record was inserted/,
  },
  {
    what: 'a forged record is inserted with an earlier seq',
    apply: (lines) => [...lines.slice(0, 75), lines[10]!.replace('"outcome":"ok"', '"outcome":"denied"'), ...lines.slice(75)],
    expect: /line 76: record seq 10 appears again after seq 74: a record was inserted/,
  },
  {
    what: 'the first record is removed',
    apply: (lines) => lines.slice(1),
    expect: /line 1: record seq 0 was removed/,
  },
];
