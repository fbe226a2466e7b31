/** The CLI refuses what it cannot do: unknown kernels and conflicting flags. */
import { describe, expect, it } from 'vitest';
import { cli } from './run.js';

describe('sectorcrypt bench flags', () => {
  it('an unknown kernel is ERR_ARGUMENT and nothing runs', () => {
    const r = cli(['bench', '--kernel', 'foo', '--seconds', '0.01']);
    expect(r.status).toBe(1);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr).toMatch(/^sectorcrypt: unknown kernel foo.*\(ERR_ARGUMENT\)\n$/);
  });

  it('--backend portable with --kernel is ERR_ARGUMENT (it used to benchmark native)', () => {
    const r = cli(['bench', '--backend', 'portable', '--kernel', 'aesni', '--seconds', '0.01']);
    expect(r.status).toBe(1);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr).toMatch(/--backend portable.*\(ERR_ARGUMENT\)\n$/);
  });

  it('an unknown backend is ERR_ARGUMENT', () => {
    const r = cli(['bench', '--backend', 'fast']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/'fast' is invalid.*\(ERR_ARGUMENT\)\n$/);
  });
});
