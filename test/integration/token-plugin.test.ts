/**
 * The cryptsetup token plugin (native/token/) with the real cryptsetup: a bound image opens
 * with `--token-only` when the broker's policy allows, and is refused, asking nothing and
 * leaking nothing, when it denies, when the broker cannot be reached, or when the plugin's
 * settings file could have been changed by someone else. luksDump shows the token through
 * the plugin. Without --token-only, cryptsetup tries the token before asking a passphrase.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chmod, cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Volume } from '../../src/volume/index.js';
import { describeWithTool } from '../tools.js';
import { CHEAP_CREATE, MiB } from '../volume/helpers.js';
import { cli, startFixture, type Fixture } from './helpers.js';
import { buildPlugin, cryptsetupWithPlugin, pluginMissing, pluginSettings } from './token-plugin.js';

describeWithTool('cryptsetup-token', pluginMissing(), 'the sectorcrypt-broker cryptsetup token plugin', () => {
  let f: Fixture;
  let pluginDir: string;
  let config: string;
  let claimsFile: string;
  let pwFile: string;

  beforeAll(async () => {
    f = await startFixture();
    pluginDir = join(f.dir, 'plugin');
    await mkdir(pluginDir);
    // SECTORCRYPT_TOKEN_PLUGIN_FLAGS: extra compiler flags (the sanitizer run builds it itself).
    const flags = process.env.SECTORCRYPT_TOKEN_PLUGIN_FLAGS;
    if (flags) buildPlugin(pluginDir, flags.split(' '));
    else {
      const installed = await cli(['volume', 'install-token-plugin', '--dir', pluginDir]);
      expect(installed.code, installed.stderr).toBe(0);
      expect(installed.stdout.toString()).toBe(
        `installed ${join(pluginDir, 'libcryptsetup-token-sectorcrypt-broker.so')}\ninstalled ${join(pluginDir, 'libcryptsetup-token-sectorcrypt-threshold.so')}\n`,
      );
      expect((await stat(join(pluginDir, 'libcryptsetup-token-sectorcrypt-broker.so'))).mode & 0o777).toBe(0o644);
    }
    claimsFile = join(f.dir, 'claims.json');
    await writeFile(claimsFile, JSON.stringify({ collectors: ['selfHash'] }), { mode: 0o600 });
    config = join(f.dir, 'agent.json');
    await writeFile(config, JSON.stringify(pluginSettings(f.stateDir, { claims: claimsFile })), { mode: 0o600 });
    pwFile = join(f.dir, 'pw');
    await writeFile(pwFile, 'pw', { mode: 0o600 });
  }, 180_000);
  afterAll(async () => {
    await f?.h.stop();
    if (f) await rm(f.dir, { recursive: true, force: true });
  });

  /** A new image bound (through the CLI) to key `here` or `elsewhere`. */
  async function bound(name: string, key: 'here' | 'elsewhere'): Promise<string> {
    const path = join(f.dir, name);
    const vol = await Volume.create(path, { size: MiB, passphrase: 'pw', ...CHEAP_CREATE });
    await vol.close();
    const r = await cli(
      ['volume', 'bind', path, '--broker-key', f.keys[key].keyId, '--url', f.h.url, '--ca', f.caFile, '--passphrase-file', pwFile],
      { env: { SECTORCRYPT_BROKER_TOKEN: f.adminToken } },
    );
    expect(r.code, r.stderr).toBe(0);
    return path;
  }

  it('luksDump shows the broker, the key and version, and the resource through the plugin', async () => {
    const path = await bound('dump.img', 'here');
    const uuid = (await Volume.inspect(path)).uuid;
    const r = await cryptsetupWithPlugin(pluginDir, config, ['luksDump', path]);
    expect(r.status, r.stderr).toBe(0);
    const out = r.stdout.toString();
    expect(out).toMatch(/0: sectorcrypt-broker\n/);
    expect(out).toContain(`Broker:     ${f.h.url}`);
    expect(out).toContain(`Broker key: ${f.keys.here.keyId} version 1`);
    expect(out).toContain(`Resource:   luks2:${uuid}`);
  }, 120_000);

  it('open --test-passphrase --token-only succeeds when the policy allows, and nothing of the secret is printed even with --debug', async () => {
    const path = await bound('allowed.img', 'here');
    const r = await cryptsetupWithPlugin(pluginDir, config, ['--debug', 'open', '--test-passphrase', '--token-only', path]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.toString()).toMatch(/Key slot 1 unlocked/i);
    // The secret the broker released, fetched again, appears nowhere in cryptsetup's output.
    const key = await cli(['volume', 'unlock', path, '--agent', f.stateDir, '--claims', claimsFile, '--print-key']);
    expect(key.code, key.stderr).toBe(0);
    const all = Buffer.concat([r.stdout, Buffer.from(r.stderr)]);
    expect(all.includes(key.stdout)).toBe(false);
    expect(all.toString().includes(key.stdout.toString('hex'))).toBe(false);
    expect(all.toString().includes(key.stdout.toString('base64'))).toBe(false);
  }, 120_000);

  it('is refused, asking nothing, when the policy denies', async () => {
    const path = await bound('denied.img', 'elsewhere');
    const r = await cryptsetupWithPlugin(pluginDir, config, ['open', '--test-passphrase', '--token-only', path], {
      input: Buffer.from('pw\n'),
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).not.toMatch(/passphrase/i);
    expect(r.stderr).toMatch(/denied: policy other-build/);
  }, 120_000);

  it('is refused when the broker cannot be reached', async () => {
    const path = await bound('unreachable.img', 'here');
    const state = join(f.dir, 'agent-unreachable');
    await cp(f.stateDir, state, { recursive: true });
    const device = JSON.parse(await readFile(join(state, 'device.json'), 'utf8'));
    await writeFile(join(state, 'device.json'), JSON.stringify({ ...device, url: 'https://127.0.0.1:9' }));
    const other = join(f.dir, 'agent-unreachable.json');
    await writeFile(other, JSON.stringify(pluginSettings(state, { claims: claimsFile })), { mode: 0o600 });
    const r = await cryptsetupWithPlugin(pluginDir, other, ['open', '--test-passphrase', '--token-only', path], {
      input: Buffer.from('pw\n'),
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/cannot reach the broker/);
    expect(r.stderr).not.toMatch(/Enter passphrase/i);
  }, 120_000);

  it('refuses a settings file that group or others can write, or that is missing', async () => {
    const path = await bound('config.img', 'here');
    const loose = join(f.dir, 'loose.json');
    await writeFile(loose, JSON.stringify(pluginSettings(f.stateDir, { claims: claimsFile })), { mode: 0o600 });
    await chmod(loose, 0o620);
    const r = await cryptsetupWithPlugin(pluginDir, loose, ['-v', 'open', '--test-passphrase', '--token-only', path]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('can be written by group or others');
    const none = await cryptsetupWithPlugin(pluginDir, join(f.dir, 'nothing.json'), ['open', '--test-passphrase', '--token-only', path]);
    expect(none.status).not.toBe(0);
    expect(none.stderr).toContain('cannot open the settings file');
  }, 120_000);

  it('without --token-only, cryptsetup tries the token first and asks a passphrase only when it is refused', async () => {
    const allowed = await bound('first.img', 'here');
    const viaToken = await cryptsetupWithPlugin(pluginDir, config, ['open', '-v', '--test-passphrase', allowed]);
    expect(viaToken.status, viaToken.stderr).toBe(0);
    expect(viaToken.stdout.toString()).toMatch(/Key slot 1 unlocked/);
    const denied = await bound('fallback.img', 'elsewhere');
    const viaPassphrase = await cryptsetupWithPlugin(pluginDir, config, ['open', '-v', '--test-passphrase', denied], {
      input: Buffer.from('pw'),
    });
    expect(viaPassphrase.status, viaPassphrase.stderr).toBe(0);
    expect(viaPassphrase.stdout.toString()).toMatch(/Key slot 0 unlocked/);
  }, 120_000);

  it('a volume bound to two keys opens through the token whose policy allows, the other failing first', async () => {
    const path = join(f.dir, 'two.img');
    (await Volume.create(path, { size: MiB, passphrase: 'pw', ...CHEAP_CREATE })).close();
    const r = await cli(
      [
        'volume',
        'bind',
        path,
        '--broker-key',
        f.keys.elsewhere.keyId,
        '--broker-key',
        f.keys.here.keyId,
        '--url',
        f.h.url,
        '--ca',
        f.caFile,
        '--passphrase-file',
        pwFile,
      ],
      { env: { SECTORCRYPT_BROKER_TOKEN: f.adminToken } },
    );
    expect(r.code, r.stderr).toBe(0);
    const open = await cryptsetupWithPlugin(pluginDir, config, ['-v', 'open', '--test-passphrase', '--token-only', path]);
    expect(open.status, open.stderr).toBe(0);
    expect(open.stdout.toString()).toMatch(/Key slot 2 unlocked/);
    expect(open.stderr).toMatch(/denied: policy other-build/);
  }, 120_000);

  it('validate refuses a sectorcrypt-broker token that is not well formed', async () => {
    const path = await bound('validate.img', 'here');
    const bad = join(f.dir, 'bad-token.json');
    await writeFile(
      bad,
      JSON.stringify({ type: 'sectorcrypt-broker', keyslots: ['1'], keyId: 'k/1', version: 1, enc: 'AAAA', ciphertext: 'AAAA' }),
    );
    const r = await cryptsetupWithPlugin(pluginDir, config, ['token', 'import', '--json-file', bad, path]);
    expect(r.status).not.toBe(0);
  }, 120_000);
});
