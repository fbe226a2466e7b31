/**
 * `sectorcrypt agent claims` as a user runs it: the command as a child process (the run's build
 * of the sources, test/entry.ts, as the other CLI tests; never dist/, which may be stale), its claims checked against the sources themselves.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfHash } from '../../../src/agent/claims/index.js';
import { awsDocument, startImdsServer, type ImdsServer } from '../attest/imds-server.js';
import { CLI } from '../../entry.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'sectorcrypt-claims-cli-'));
let server: ImdsServer;

beforeAll(async () => {
  server = await startImdsServer({ aws: { document: awsDocument(), rsa2048: 'MIIB', pkcs7: 'MIIB' } });
}, 300_000);
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the command without blocking: the local metadata server answers from this process. */
function cli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...CLI, 'agent', 'claims', ...args], { cwd: dir });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function config(name: string, value: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

interface Report {
  claims: { identity: Record<string, unknown>; integrity: Record<string, unknown> };
  sources: { claim: string; source: string; trust: string }[];
  unavailable: { collector: string; reason: string }[];
  attestations?: { documents: { aws?: { document: string } } };
}

describe('sectorcrypt agent claims', () => {
  it("--json prints this host's claims, each with its source", async () => {
    const run = await cli('--json');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    if (existsSync('/proc/stat')) {
      const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))![1]);
      expect(Date.parse(report.claims.identity.bootTime as string)).toBe(btime * 1000);
    }
    if (existsSync('/etc/machine-id')) expect(report.claims.identity.machineId).toBe(readFileSync('/etc/machine-id', 'utf8').trim());
    for (const s of report.sources) {
      expect(s.trust).toBe('agent');
      expect(s.source).not.toBe('');
    }
    const listed = new Set([
      ...report.sources.map((s) => s.claim.split('.').slice(0, 2).join('.')),
      ...report.unavailable.map((u) => u.collector),
    ]);
    expect(listed.size).toBeGreaterThanOrEqual(8);
    expect(report.attestations).toBeUndefined();
  });

  it('reports the self hash of the installed package', async () => {
    const report = JSON.parse((await cli('--json')).stdout) as Report;
    expect(report.claims.integrity.selfHash).toBe(await selfHash(root));
  });

  it('prints a readable list without --json', async () => {
    const run = await cli();
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^identity\.bootTime\s+\d{4}-\d{2}-\d{2}T/m);
    expect(run.stdout).toContain('from /proc/stat btime, trust: agent');
    expect(run.stdout).toMatch(/^integrity\.selfHash\s+[0-9a-f]{64}$/m);
  });

  it('--claims chooses collectors, adds commands and cloud documents', async () => {
    const file = config('c.json', {
      collectors: ['kernel'],
      exec: [{ claim: 'integrity.antivirus', argv: [process.execPath, '-e', 'process.exit(0)'], exitCodes: { '0': 'clean' } }],
      attestations: { providers: ['aws'], metadataBaseUrlForTests: server.url },
    });
    const run = await cli('--json', '--claims', file);
    // The earlier name of the flag still works.
    expect(JSON.parse((await cli('--json', '--claims-config', file)).stdout).claims).toEqual(JSON.parse(run.stdout).claims);
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.claims).toEqual({ identity: { kernel: expect.any(String) }, integrity: { antivirus: 'clean' } });
    expect(report.attestations?.documents.aws?.document).toBe(awsDocument());
  });

  it('refuses an unknown config key, naming it, and a missing file', async () => {
    const run = await cli('--claims', config('bad.json', { collectors: 'auto', exec: [], colectors: [] }));
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('unknown key "colectors"');
    expect(run.stderr).toContain('ERR_ARGUMENT');
    const missing = await cli('--claims', path.join(dir, 'none.json'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('ERR_NOT_FOUND');
  });
});
