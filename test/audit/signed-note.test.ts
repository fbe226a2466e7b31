/**
 * C2SP signed notes and tlog checkpoints: the published examples byte for byte (Go's
 * sumdb/note signs deterministically with a published key; the C2SP spec's example note
 * verifies with its verifier key), then the refusals.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkpointText, openCheckpoint, parseCheckpointText, signCheckpoint } from '../../src/audit/checkpoint.js';
import { openNote, parseVerifierKey, publicKeyOf, signNote, verifierKey } from '../../src/audit/signed-note.js';

const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'vectors', 'signed-note', 'vectors.json');
const vectors = JSON.parse(readFileSync(file, 'utf8')) as {
  'go-sumdb-note': {
    signerKey: string;
    verifierKey: string;
    text: string;
    note: string;
    otherVerifierKey: string;
    otherSignatureLine: string;
  };
  'c2sp-signed-note': { verifierKey: string; text: string; note: string };
  'c2sp-tlog-checkpoint': { note: string; origin: string; size: number; rootHash: string };
};
const go = vectors['go-sumdb-note'];
const tampered = expect.objectContaining({ code: 'ERR_AUDIT_TAMPERED' });
const malformed = expect.objectContaining({ code: 'ERR_ARGUMENT' });

/** Go's "PRIVATE+KEY+<name>+<id>+base64(0x01 || seed)". */
function goSigner(skey: string): { name: string; secretKey: Uint8Array } {
  const [, , name, , key] = skey.split('+') as [string, string, string, string, string];
  return { name, secretKey: new Uint8Array(Buffer.from(skey.slice(skey.indexOf(key)), 'base64').subarray(1)) };
}

describe('signed note (c2sp.org/signed-note, Ed25519)', () => {
  it("reproduces golang.org/x/mod/sumdb/note's signed example byte for byte, and its verifier key", () => {
    const signer = goSigner(go.signerKey);
    expect(verifierKey(signer.name, publicKeyOf(signer.secretKey))).toBe(go.verifierKey);
    expect(signNote(go.text, signer)).toBe(go.note);
    expect(openNote(go.note, go.verifierKey)).toBe(go.text);
  });

  it("verifies the C2SP spec's example note with its verifier key", () => {
    const c2sp = vectors['c2sp-signed-note'];
    expect(openNote(c2sp.note, c2sp.verifierKey)).toBe(c2sp.text);
    expect(() => openNote(c2sp.note, go.verifierKey)).toThrow(tampered);
  });

  it('skips signatures by other keys and checks its own whichever line it is on', () => {
    const both = go.note + go.otherSignatureLine;
    expect(openNote(both, go.verifierKey)).toBe(go.text);
    expect(openNote(both, go.otherVerifierKey)).toBe(go.text);
    const otherFirst = go.text + '\n' + go.otherSignatureLine + go.note.slice(go.text.length + 1);
    expect(openNote(otherFirst, go.verifierKey)).toBe(go.text);
  });

  it('refuses an edited text, a bent signature and a note without our signature as tampered', () => {
    expect(() => openNote(go.note.replace('cryptography', 'cryptographY'), go.verifierKey)).toThrow(tampered);
    const sig = go.note.indexOf('x08go/') + 10;
    const bent = go.note.slice(0, sig) + (go.note[sig] === 'A' ? 'B' : 'A') + go.note.slice(sig + 1);
    expect(() => openNote(bent, go.verifierKey)).toThrow(tampered);
    expect(() => openNote(go.text + '\n' + go.otherSignatureLine, go.verifierKey)).toThrow(tampered);
  });

  it('refuses malformed notes and verifier keys as ERR_ARGUMENT', () => {
    for (const bad of [
      go.note.slice(0, -1),
      go.text,
      go.note.replace('\u2014', '-'),
      go.note.replace('answer', 'answer\u0007'),
      go.note.replace(' x08go', '  x08go'),
    ]) {
      expect(() => openNote(bad, go.verifierKey), JSON.stringify(bad)).toThrow(malformed);
    }
    const vkey = go.verifierKey;
    for (const bad of [
      vkey.replace('c74f20a3', 'c74f20a4'),
      vkey.replace('+ARpc', '+ZRpc'),
      vkey + 'AA==',
      'Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
      vkey.slice(0, 20),
    ]) {
      expect(() => parseVerifierKey(bad), bad).toThrow(malformed);
    }
    expect(() => signNote('no final newline', goSigner(go.signerKey))).toThrow(malformed);
    expect(() => verifierKey('a+b', new Uint8Array(32))).toThrow(malformed);
  });
});

describe('checkpoints (c2sp.org/tlog-checkpoint)', () => {
  it("parses the spec's example body", () => {
    const cp = vectors['c2sp-tlog-checkpoint'];
    const text = cp.note.slice(0, cp.note.indexOf('\n\n') + 1);
    const parsed = parseCheckpointText(text);
    expect(parsed).toEqual({ origin: cp.origin, size: cp.size, rootHash: new Uint8Array(Buffer.from(cp.rootHash, 'base64')) });
    expect(checkpointText(parsed)).toBe(text);
  });

  it('signs and opens a checkpoint; a change to any line is caught', () => {
    const secretKey = new Uint8Array(randomBytes(32));
    const name = 'audit.example/tenant-a';
    const vkey = verifierKey(name, publicKeyOf(secretKey));
    const rootHash = new Uint8Array(randomBytes(32));
    const note = signCheckpoint({ origin: name, size: 1234, rootHash }, { name, secretKey });
    expect(note).toBe(`${name}\n1234\n${Buffer.from(rootHash).toString('base64')}\n\n\u2014 ${name} ${note.split(' ').at(-1)}`);
    expect(openCheckpoint(note, vkey)).toEqual({ origin: name, size: 1234, rootHash });
    expect(() => openCheckpoint(note.replace('\n1234\n', '\n1235\n'), vkey)).toThrow(tampered);
    expect(() => openCheckpoint(note.replace(name + '\n', name + 'x\n'), vkey)).toThrow(tampered);
    const otherKey = verifierKey(name, publicKeyOf(new Uint8Array(randomBytes(32))));
    expect(() => openCheckpoint(note, otherKey)).toThrow(tampered);
  });

  it('refuses malformed checkpoint bodies even when signed', () => {
    const secretKey = new Uint8Array(randomBytes(32));
    const key = { name: 'log', secretKey };
    const vkey = verifierKey('log', publicKeyOf(secretKey));
    const root = Buffer.alloc(32).toString('base64');
    for (const body of [`log\n012\n${root}\n`, `log\n12\n${root}\next\n`, `log\n12\nAAAA\n`, `log\n-1\n${root}\n`, `log\n12\n`]) {
      expect(() => openCheckpoint(signNote(body, key), vkey), body).toThrow(malformed);
    }
  });
});
