/**
 * The exec collector on real child processes (node itself as the admin's program): exit
 * codes mapped through the table, a value taken from JSON output by JSON Pointer, and every
 * way it refuses (timeout, too much output, an unmapped code, output that is not JSON).
 */
import { describe, expect, it } from 'vitest';
import { execCollector } from '../../../src/agent/claims/index.js';
import { resolvePointer } from '../../../src/agent/claims/json-pointer.js';

const node = (script: string) => [process.execPath, '-e', script];

describe('exec collector', () => {
  it('maps the exit code through the table', async () => {
    const exitCodes = { '0': 'clean', '1': 'infected' };
    expect(await execCollector({ claim: 'integrity.antivirus', argv: node('process.exit(0)'), exitCodes }).collect()).toEqual({
      claims: { 'integrity.antivirus': 'clean' },
      detail: 'exit 0',
    });
    expect(await execCollector({ claim: 'integrity.antivirus', argv: node('process.exit(1)'), exitCodes }).collect()).toMatchObject({
      claims: { 'integrity.antivirus': 'infected' },
    });
    expect(await execCollector({ claim: 'integrity.antivirus', argv: node('process.exit(3)'), exitCodes }).collect()).toEqual({
      unavailable: expect.stringContaining('exit code 3 is not mapped'),
    });
  });

  it('takes a value from JSON output by JSON Pointer', async () => {
    const argv = node('console.log(JSON.stringify({ engine: { "status/now": "clean", sigs: [1, 2] } }))');
    expect(await execCollector({ claim: 'integrity.antivirus', argv, jsonPointer: '/engine/status~1now' }).collect()).toEqual({
      claims: { 'integrity.antivirus': 'clean' },
    });
    expect(await execCollector({ claim: 'integrity.sigs', argv, jsonPointer: '/engine/sigs/1' }).collect()).toEqual({
      claims: { 'integrity.sigs': 2 },
    });
    expect(await execCollector({ claim: 'integrity.x', argv, jsonPointer: '/engine/none' }).collect()).toHaveProperty('unavailable');
    expect(await execCollector({ claim: 'integrity.x', argv: node('console.log("not json")'), jsonPointer: '' }).collect()).toEqual({
      unavailable: expect.stringContaining('not JSON'),
    });
    expect(
      await execCollector({ claim: 'integrity.x', argv: node('console.error("broken"); process.exit(2)'), jsonPointer: '' }).collect(),
    ).toEqual({
      unavailable: expect.stringContaining('exit 2: broken'),
    });
  });

  it('kills a command that outlives its timeout', async () => {
    const result = await execCollector({
      claim: 'integrity.x',
      argv: node('setTimeout(() => {}, 60_000)'),
      timeoutMs: 300,
      exitCodes: { '0': true },
    }).collect();
    expect(result).toEqual({ unavailable: expect.stringContaining('timed out after 300 ms') });
  });

  it('kills a command whose output passes the cap', async () => {
    const argv = node('process.stdout.write("x".repeat(1 << 20)); setTimeout(() => {}, 60_000)');
    const result = await execCollector({ claim: 'integrity.x', argv, maxOutputBytes: 1000, jsonPointer: '' }).collect();
    expect(result).toEqual({ unavailable: expect.stringContaining('output exceeds 1000 bytes') });
  });

  it('runs the program named, with no shell between', async () => {
    const result = await execCollector({
      claim: 'integrity.x',
      argv: ['/nonexistent/av-status; echo 0'],
      exitCodes: { '0': true },
    }).collect();
    expect(result).toEqual({ unavailable: expect.stringContaining('ENOENT') });
    const args = await execCollector({
      claim: 'integrity.x',
      argv: [...node('console.log(JSON.stringify(process.argv.slice(1)))'), '$(id)', '; x'],
      jsonPointer: '',
    }).collect();
    expect(args).toEqual({ claims: { 'integrity.x': ['$(id)', '; x'] } });
  });
});

describe('JSON Pointer (RFC 6901)', () => {
  const doc = { foo: ['bar', 'baz'], '': 0, 'a/b': 1, 'm~n': 8 };
  it('resolves the RFC examples', () => {
    expect(resolvePointer(doc, '')).toEqual({ found: true, value: doc });
    expect(resolvePointer(doc, '/foo/0')).toEqual({ found: true, value: 'bar' });
    expect(resolvePointer(doc, '/')).toEqual({ found: true, value: 0 });
    expect(resolvePointer(doc, '/a~1b')).toEqual({ found: true, value: 1 });
    expect(resolvePointer(doc, '/m~0n')).toEqual({ found: true, value: 8 });
    expect(resolvePointer(doc, '/foo/2')).toEqual({ found: false });
    expect(resolvePointer(doc, '/foo/01')).toEqual({ found: false });
    expect(resolvePointer(doc, 'foo')).toEqual({ found: false });
  });
});
