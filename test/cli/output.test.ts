/** The CLI's output module and progress bar, in process (the CLI tests cover them end to end). */
import { linkSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { openOutputFile } from '../../src/cli/output.js';
import { createProgress, formatBytes, formatSummary } from '../../src/cli/progress.js';
import { expectRejectCode } from '../bytes.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sectorcrypt-out-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => path.join(dir, name);
const write = (stream: Writable, text: string) =>
  new Promise<void>((resolve, reject) => stream.end(text, () => resolve()).once('error', reject));

describe('openOutputFile', () => {
  it('writes beside the target and renames on commit; discard leaves the old file', async () => {
    writeFileSync(at('kept'), 'old');
    const out = await openOutputFile(at('kept'), { mode: 0o600, force: true });
    await write(out.stream, 'new');
    expect(readFileSync(at('kept'), 'utf8')).toBe('old');
    await out.commit();
    expect(readFileSync(at('kept'), 'utf8')).toBe('new');

    const again = await openOutputFile(at('kept'), { mode: 0o600, force: true });
    again.stream.write('partial');
    await again.discard();
    expect(readFileSync(at('kept'), 'utf8')).toBe('new');
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('through a symbolic link, the file it names is replaced and the link stays', async () => {
    writeFileSync(at('real'), 'old');
    symlinkSync(at('real'), at('alias'));
    const out = await openOutputFile(at('alias'), { mode: 0o600, force: true });
    await write(out.stream, 'new');
    await out.commit();
    expect(lstatSync(at('alias')).isSymbolicLink()).toBe(true);
    expect(readFileSync(at('real'), 'utf8')).toBe('new');
  });

  it('refuses: a non-empty file without force (ERR_EXISTS), an input even with force, a directory', async () => {
    writeFileSync(at('data'), 'data');
    const exists = await expectRejectCode(() => openOutputFile(at('data'), { mode: 0o600 }), 'ERR_EXISTS');
    expect(exists.message).toContain('--force');
    const custom = await expectRejectCode(() => openOutputFile(at('data'), { mode: 0o600, forceFlag: '--replace' }), 'ERR_EXISTS');
    expect(custom.message).toContain('--replace');
    linkSync(at('data'), at('data-link'));
    await expectRejectCode(
      () => openOutputFile(at('data-link'), { mode: 0o600, force: true, inputs: [undefined, '-', at('data')] }),
      'ERR_ARGUMENT',
    );
    await expectRejectCode(() => openOutputFile(dir, { mode: 0o600, force: true }), 'ERR_ARGUMENT');
    await expectRejectCode(() => openOutputFile(at('missing/out'), { mode: 0o600 }), 'ERR_NOT_FOUND');
    expect(readFileSync(at('data'), 'utf8')).toBe('data');
  });
});

describe('progress', () => {
  it('formats bytes and the summary line', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatSummary('decrypted', 12 * 1024 * 1024, 3)).toBe('decrypted 12.0 MiB in 3.0 s (4.0 MiB/s)');
  });

  it('on a terminal: shows rate and ETA, and stop(summary) leaves the summary as the last line', () => {
    let text = '';
    const tty = Object.assign(
      new Writable({
        write(chunk, _encoding, callback) {
          text += chunk.toString();
          callback();
        },
      }),
      { isTTY: true, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true },
    );
    let now = 1_000_000;
    const clock = () => now;
    const progress = createProgress('{bar} {done} of {size} | {rate} | ETA {eta_formatted}', tty, clock);
    progress.update(0, 4 * 1024 * 1024);
    now += 1000;
    progress.update(2 * 1024 * 1024, 4 * 1024 * 1024);
    progress.stop('decrypted 4.0 MiB in 1.0 s (4.0 MiB/s)');
    expect(text).toMatch(/2\.0 MiB of 4\.0 MiB \| 2\.0 MiB\/s \| ETA \S+/);
    expect(text.endsWith('decrypted 4.0 MiB in 1.0 s (4.0 MiB/s)\n')).toBe(true);
  });

  it('prints nothing when stderr is not a terminal, summary included', () => {
    let text = '';
    const pipe = new Writable({ write: (chunk, _e, cb) => ((text += chunk.toString()), cb()) });
    const progress = createProgress(undefined, pipe);
    progress.update(1, 2);
    progress.stop('done');
    expect(text).toBe('');
  });
});
