/**
 * The identity collectors on this machine, each checked against an independent reading of
 * the same source (the file itself, or the `uname` and `hostname` programs), and the
 * parsers on fixed texts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bootTimeCollector,
  hostnameCollector,
  kernelCollector,
  machineIdCollector,
  osReleaseCollector,
  parseBootTime,
  parseOsRelease,
  secureBootCollector,
} from '../../../src/agent/claims/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sectorcrypt-claims-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, data: string | Uint8Array) => {
  const at = path.join(dir, name);
  writeFileSync(at, data);
  return at;
};

describe('identity.bootTime', () => {
  it.skipIf(!existsSync('/proc/stat'))('is the btime of /proc/stat as RFC 3339 (skipped where /proc/stat is missing)', async () => {
    const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))![1]);
    const result = await bootTimeCollector().collect();
    expect(result).toEqual({ claims: { 'identity.bootTime': new Date(btime * 1000).toISOString().replace('.000Z', 'Z') } });
    const value = (result as { claims: Record<string, string> }).claims['identity.bootTime']!;
    expect(value).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(Date.parse(value) / 1000).toBe(btime);
  });

  it('parses the btime line and nothing else', () => {
    expect(parseBootTime('cpu  1 2 3\nbtime 0\nprocesses 5\n')).toBe('1970-01-01T00:00:00Z');
    expect(parseBootTime('cpu 1\nbtime 1700000000\n')).toBe('2023-11-14T22:13:20Z');
    expect(parseBootTime('cpu 1\nbtimes 5\n')).toBeUndefined();
  });

  it('is unavailable, with the reason, when the file is missing or has no btime', async () => {
    expect(await bootTimeCollector(path.join(dir, 'nope')).collect()).toMatchObject({ unavailable: expect.stringContaining('ENOENT') });
    expect(await bootTimeCollector(file('stat', 'cpu 1\n')).collect()).toEqual({ unavailable: expect.stringContaining('no btime') });
  });
});

describe('identity.machineId', () => {
  it.skipIf(!existsSync('/etc/machine-id'))('is /etc/machine-id (skipped where the file is missing)', async () => {
    const expected = readFileSync('/etc/machine-id', 'utf8').trim();
    expect(await machineIdCollector().collect()).toEqual({ claims: { 'identity.machineId': expected } });
  });

  it('refuses an uninitialized or malformed id', async () => {
    expect(await machineIdCollector(file('mid1', 'uninitialized\n')).collect()).toHaveProperty('unavailable');
    expect(await machineIdCollector(file('mid2', '')).collect()).toHaveProperty('unavailable');
    expect(await machineIdCollector(file('mid3', `${'ab'.repeat(16)}\n`)).collect()).toEqual({
      claims: { 'identity.machineId': 'ab'.repeat(16) },
    });
  });
});

describe('identity.hostname and identity.kernel', () => {
  it('match the hostname and uname -r programs', async () => {
    const host = spawnSync('hostname', { encoding: 'utf8' });
    const uname = spawnSync('uname', ['-r'], { encoding: 'utf8' });
    expect(host.status).toBe(0);
    expect(uname.status).toBe(0);
    expect(await hostnameCollector().collect()).toEqual({ claims: { 'identity.hostname': host.stdout.trim() } });
    expect(await kernelCollector().collect()).toEqual({ claims: { 'identity.kernel': uname.stdout.trim() } });
  });
});

describe('identity.os', () => {
  it.skipIf(!existsSync('/etc/os-release'))('is ID and VERSION_ID of /etc/os-release (skipped where the file is missing)', async () => {
    const text = readFileSync('/etc/os-release', 'utf8');
    const id = /^ID=("?)(.*)\1$/m.exec(text)![2];
    const version = /^VERSION_ID=("?)(.*)\1$/m.exec(text)?.[2];
    const result = await osReleaseCollector().collect();
    expect(result).toEqual({ claims: { 'identity.os.id': id, ...(version ? { 'identity.os.versionId': version } : {}) } });
  });

  it('unquotes values, skips comments, and falls back to the second file', async () => {
    expect(parseOsRelease('# comment\nID=arch\nNAME="Arch Linux"\nVERSION_ID=\'24.04\'\nX="a \\"b\\""\n')).toEqual({
      ID: 'arch',
      NAME: 'Arch Linux',
      VERSION_ID: '24.04',
      X: 'a "b"',
    });
    const fallback = file('usr-os-release', 'ID=alpine\nVERSION_ID=3.20.1\n');
    expect(await osReleaseCollector([path.join(dir, 'none'), fallback]).collect()).toEqual({
      claims: { 'identity.os.id': 'alpine', 'identity.os.versionId': '3.20.1' },
      detail: fallback,
    });
    expect(await osReleaseCollector([file('rolling', 'ID=arch\n')]).collect()).toEqual({ claims: { 'identity.os.id': 'arch' } });
    expect(await osReleaseCollector([file('noid', 'NAME=x\n')]).collect()).toHaveProperty('unavailable');
  });
});

describe('integrity.secureBoot', () => {
  it('reads the efivarfs byte after the 4 attribute bytes', async () => {
    expect(await secureBootCollector(file('sb-on', Uint8Array.of(6, 0, 0, 0, 1))).collect()).toEqual({
      claims: { 'integrity.secureBoot': true },
    });
    expect(await secureBootCollector(file('sb-off', Uint8Array.of(6, 0, 0, 0, 0))).collect()).toEqual({
      claims: { 'integrity.secureBoot': false },
    });
    expect(await secureBootCollector(file('sb-bad', Uint8Array.of(6, 0, 0))).collect()).toHaveProperty('unavailable');
  });

  it('is unavailable, not false, without UEFI variables', async () => {
    const result = await secureBootCollector(path.join(dir, 'SecureBoot-missing')).collect();
    expect(result).toEqual({ unavailable: expect.stringContaining('not booted through UEFI') });
  });

  const efi = '/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c';
  it.skipIf(!existsSync(efi))('matches the SecureBoot variable of this machine (skipped: no UEFI SecureBoot variable here)', async () => {
    const bytes = readFileSync(efi);
    expect(await secureBootCollector().collect()).toEqual({ claims: { 'integrity.secureBoot': bytes[4] === 1 } });
  });
});
