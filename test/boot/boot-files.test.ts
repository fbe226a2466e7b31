/**
 * The boot integration files (boot/): the systemd unit passes `systemd-analyze verify`, the
 * crypttab example goes through systemd's own cryptsetup generator as meant (_netdev: after
 * the network; token-timeout), the hook and keyscripts pass shellcheck, and the
 * initramfs-tools hook, run into a temporary root, brings in what the unlock needs: the
 * keyscript run in that root (chroot) prints the secret that opens a bound volume.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { copyFile, cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Volume } from '../../src/volume/index.js';
import { describeWithTool } from '../tools.js';
import { CHEAP_CREATE, MiB } from '../volume/helpers.js';
import { root } from '../entry.js';
import { startFixture, type Fixture } from '../integration/helpers.js';
import type { BrokerPublicKey } from '../../src/volume/broker-binding.js';

const has = (cmd: string, args: string[] = ['--version']) => spawnSync(cmd, args).status === 0;
const boot = join(root, 'boot');

describeWithTool(
  'shellcheck',
  has('shellcheck') ? undefined : 'shellcheck is not installed (Debian package shellcheck)',
  'boot scripts',
  () => {
    it('the initramfs-tools hook, the keyscript and the dracut module pass shellcheck', () => {
      for (const [shell, file] of [
        ['sh', 'initramfs-tools/hooks/sectorcrypt'],
        ['sh', 'initramfs-tools/scripts/sectorcrypt'],
        ['bash', 'dracut/90sectorcrypt/module-setup.sh'],
      ]) {
        const r = spawnSync('shellcheck', ['-s', shell!, join(boot, file!)], { encoding: 'utf8' });
        expect(r.status, `${file}: ${r.stdout}`).toBe(0);
      }
    });
  },
);

const generator = [
  '/lib/systemd/system-generators/systemd-cryptsetup-generator',
  '/usr/lib/systemd/system-generators/systemd-cryptsetup-generator',
].find((p) => existsSync(p));
describeWithTool(
  'systemd',
  has('systemd-analyze') && generator ? undefined : 'systemd-analyze or systemd-cryptsetup-generator is missing (Debian package systemd)',
  'boot units',
  () => {
    let dir: string;
    beforeAll(async () => {
      dir = join(root, `.boot-units-${process.pid}`);
      await mkdir(dir, { recursive: true });
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('sectorcrypt-unlock@.service passes systemd-analyze verify', async () => {
      const unit = join(dir, 'sectorcrypt-unlock@data.service');
      await copyFile(join(boot, 'systemd/sectorcrypt-unlock@.service'), unit);
      const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/sectorcrypt-unlock/);
    });

    it("the crypttab example becomes units after the network with the plugin's options", async () => {
      const out = join(dir, 'generated');
      await mkdir(out, { recursive: true });
      const r = spawnSync(generator!, [out, out, out], {
        encoding: 'utf8',
        env: { ...process.env, SYSTEMD_CRYPTTAB: join(boot, 'systemd/crypttab.example') },
      });
      expect(r.status, r.stderr).toBe(0);
      const data = await readFile(join(out, 'systemd-cryptsetup@data.service'), 'utf8');
      expect(data).toContain('Before=remote-cryptsetup.target');
      expect(data).toContain('After=remote-fs-pre.target');
      expect(data).toMatch(
        /ExecStart=.*systemd-cryptsetup attach 'data' '\/dev\/disk\/by-uuid\/0{8}-.*' 'none' 'luks,_netdev,headless=true,token-timeout=0'/,
      );
      expect(existsSync(join(out, 'remote-cryptsetup.target.requires/systemd-cryptsetup@backup.service'))).toBe(true);
    });
  },
);

const chrootMissing = (): string | undefined => {
  if (!process.env.SECTORCRYPT_TEST_BUILD)
    return 'the CLI runs from the sources (SECTORCRYPT_TEST_TSX): there is no built package to put in a root';
  if (process.getuid?.() !== 0) return 'chroot needs root';
  if (!has('unshare', ['-m', '--propagation', 'private', 'true'])) return 'this user cannot make a mount namespace (unshare -m)';
  return undefined;
};

/** A key on the fixture's broker that any enrolled device of its group gets (the chroot's build hash is not this one's). */
async function bootKey(f: Fixture): Promise<BrokerPublicKey> {
  const admin = async (method: string, path: string, body?: unknown) => {
    const a = await f.h.client.call(method, path, { token: f.adminToken, body });
    if (a.status >= 300) throw new Error(`${method} ${path}: ${a.status} ${JSON.stringify(a.body)}`);
    return a.body;
  };
  const key = await admin('POST', '/v1/keys', { name: 'boot' });
  await admin('PUT', '/v1/policies/boot', {
    keys: [key.keyId],
    devices: { groups: ['integ'] },
    rules: { claim: 'device.id', exists: true },
    approval: { mode: 'auto' },
  });
  return key;
}

/** Runs the keyscript in `rootDir` (chroot, private mounts) as cryptsetup would for `device`. */
function keyscriptIn(rootDir: string, device: string): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      'unshare',
      [
        '-m',
        '--propagation',
        'private',
        'sh',
        '-c',
        'mount --rbind /dev "$1/dev" && mount -t proc proc "$1/proc" && exec chroot "$1" /lib/cryptsetup/scripts/sectorcrypt',
        'sh',
        rootDir,
      ],
      {
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', CRYPTTAB_SOURCE: device, SECTORCRYPT_NO_NETWORK: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: err }));
  });
}

describeWithTool('chroot', chrootMissing(), 'the initramfs-tools hook in a temporary root', () => {
  let f: Fixture;
  /** A second broker with its own agent, for the threshold volume. */
  let g: Fixture;
  let image: string;
  let thresholdImage: string;
  let config: string;
  let thresholdConfig: string;
  let pkg: string;
  let claims: string;

  beforeAll(async () => {
    [f, g] = await Promise.all([startFixture(), startFixture()]);
    const [key, other] = await Promise.all([bootKey(f), bootKey(g)]);
    image = join(f.dir, 'root.img');
    const vol = await Volume.create(image, { size: MiB, passphrase: 'pw', ...CHEAP_CREATE });
    await vol.bindBroker(key);
    await vol.close();
    // 2 of 2: the secret needs a share from each broker, so each agent folder must be there.
    thresholdImage = join(f.dir, 'threshold.img');
    const tvol = await Volume.create(thresholdImage, { size: MiB, passphrase: 'pw', ...CHEAP_CREATE });
    await tvol.bindBrokerThreshold(2, [
      { ...key, url: f.h.url },
      { ...other, url: g.h.url },
    ]);
    await tvol.close();

    // The package as npm installs it: dist/ (this run's build), node_modules, the addon build.
    pkg = join(f.dir, 'lib/node_modules/sectorcrypt');
    await mkdir(pkg, { recursive: true });
    await cp(process.env.SECTORCRYPT_TEST_BUILD!, join(pkg, 'dist'), { recursive: true });
    await copyFile(join(root, 'package.json'), join(pkg, 'package.json'));
    expect(spawnSync('cp', ['-al', join(root, 'node_modules'), join(pkg, 'node_modules')]).status).toBe(0);
    if (existsSync(join(root, 'build'))) await cp(join(root, 'build'), join(pkg, 'build'), { recursive: true });
    claims = join(f.dir, 'claims.json');
    await writeFile(claims, JSON.stringify({ collectors: ['hostname'] }), { mode: 0o600 });
    const settings = { stateDir: f.stateDir, claims, node: process.execPath, cli: join(pkg, 'dist/cli/main.js'), timeoutSeconds: 60 };
    config = join(f.dir, 'agent.json');
    await writeFile(config, JSON.stringify(settings), { mode: 0o600 });
    thresholdConfig = join(f.dir, 'agent-threshold.json');
    await writeFile(thresholdConfig, JSON.stringify({ ...settings, stateDirs: [g.stateDir] }), { mode: 0o600 });
  }, 180_000);
  afterAll(async () => {
    for (const x of [f, g]) {
      await x?.h.stop();
      if (x) await rm(x.dir, { recursive: true, force: true });
    }
  });

  const hook = (rootDir: string, env: Record<string, string> = {}) =>
    spawnSync('sh', [join(boot, 'initramfs-tools/hooks/sectorcrypt')], {
      encoding: 'utf8',
      env: {
        ...process.env,
        DESTDIR: rootDir,
        SECTORCRYPT_HOOK_FUNCTIONS: join(root, 'test/boot/hook-functions.sh'),
        SECTORCRYPT_AGENT_CONFIG: config,
        SECTORCRYPT_KEYSCRIPT: join(boot, 'initramfs-tools/scripts/sectorcrypt'),
        ...env,
      },
    });

  /** A new temporary root with what the hook brings, plus what an initramfs has anyway. */
  async function initramfs(name: string, env: Record<string, string> = {}): Promise<string> {
    const rootDir = join(f.dir, name);
    await mkdir(rootDir);
    const r = hook(rootDir, env);
    expect(r.status, r.stderr).toBe(0);
    // What an initramfs has anyway (busybox there): a shell, sed, head.
    const stub = join(root, 'test/boot/hook-functions.sh');
    for (const tool of ['/bin/sh', '/bin/sed', '/usr/bin/head']) {
      const c = spawnSync('sh', ['-c', `. "${stub}"; copy_exec "$1"`, 'sh', tool], { env: { ...process.env, DESTDIR: rootDir } });
      expect(c.status).toBe(0);
    }
    await mkdir(join(rootDir, 'dev'), { recursive: true });
    await mkdir(join(rootDir, 'proc'), { recursive: true });
    return rootDir;
  }

  it('refuses settings that group or others can write', async () => {
    const loose = join(f.dir, 'loose.json');
    await writeFile(loose, await readFile(config));
    spawnSync('chmod', ['0664', loose]);
    const r = hook(join(f.dir, 'unused'), { SECTORCRYPT_AGENT_CONFIG: loose });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('can be written by group or others');
  });

  it('refuses stateDirs that name a folder with no enrolled agent, or a relative path', async () => {
    for (const [name, stateDirs, says] of [
      ['missing.json', [join(f.dir, 'no-agent-here')], 'is not enrolled'],
      ['relative.json', ['agent'], '"stateDirs" a list'],
    ] as const) {
      const file = join(f.dir, name);
      await writeFile(file, JSON.stringify({ ...JSON.parse(await readFile(config, 'utf8')), stateDirs }), { mode: 0o600 });
      const r = hook(join(f.dir, 'unused'), { SECTORCRYPT_AGENT_CONFIG: file });
      expect(r.status, name).not.toBe(0);
      expect(r.stderr).toContain(says);
    }
  });

  it('adds node, the package, the agent state and settings; the keyscript run in that root prints the secret that opens the volume', async () => {
    const rootDir = await initramfs('initramfs');
    expect(existsSync(join(rootDir, process.execPath))).toBe(true);
    expect((await stat(join(rootDir, f.stateDir))).mode & 0o777).toBe(0o700);
    expect(existsSync(join(rootDir, f.stateDir, 'device.key'))).toBe(true);
    expect(existsSync(join(rootDir, g.stateDir))).toBe(false);
    expect((await stat(join(rootDir, 'etc/sectorcrypt/agent.json'))).mode & 0o777).toBe(0o600);
    expect(existsSync(join(rootDir, 'lib/cryptsetup/scripts/sectorcrypt'))).toBe(true);
    await copyFile(image, join(rootDir, 'root.img'));

    const run = await keyscriptIn(rootDir, '/root.img');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.length).toBe(32);
    const opened = await Volume.open(image, { passphrase: new Uint8Array(run.stdout) });
    expect(opened.keyslot).toBe(1);
    await opened.close();
  }, 180_000);

  it('with stateDirs, brings every agent folder: a 2-of-2 threshold volume opens in that root, and not with one agent', async () => {
    const rootDir = await initramfs('initramfs-threshold', { SECTORCRYPT_AGENT_CONFIG: thresholdConfig });
    for (const dir of [f.stateDir, g.stateDir]) {
      expect((await stat(join(rootDir, dir))).mode & 0o777).toBe(0o700);
      expect(existsSync(join(rootDir, dir, 'device.key'))).toBe(true);
    }
    await copyFile(thresholdImage, join(rootDir, 'root.img'));
    const run = await keyscriptIn(rootDir, '/root.img');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.length).toBe(32);
    const opened = await Volume.open(thresholdImage, { passphrase: new Uint8Array(run.stdout) });
    expect(opened.keyslot).toBe(1);
    await opened.close();

    // The single-agent root cannot: one share of two is not the secret.
    const single = await initramfs('initramfs-one-agent');
    await copyFile(thresholdImage, join(single, 'root.img'));
    const refused = await keyscriptIn(single, '/root.img');
    expect(refused.code).not.toBe(0);
    expect(refused.stdout.length).toBe(0);
    expect(refused.stderr).toContain('ERR_THRESHOLD');
  }, 180_000);
});
