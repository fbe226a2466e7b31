/**
 * The envelope header grammar (docs/envelope.md "How it works"): a version line, 1 to 256 stanzas, a
 * mac line. HeaderScanner reads it incrementally, line by line, so a stream or a file is
 * read only as far as the header goes, and a hostile header (a line of gigabytes, a million
 * stanzas) is refused as soon as it passes a limit, with bounded memory.
 */
import { copyBytes } from '../bytes.js';
import { SectorCryptError } from '../errors.js';
import { decodeBase64, encodeBase64 } from './base64.js';
import {
  BODY_LINE_CHARS,
  MAC_BYTES,
  MAC_PREFIX,
  MAX_ARG_CHARS,
  MAX_ARGS,
  MAX_HEADER_BYTES,
  MAX_LINE_BYTES,
  MAX_STANZAS,
  MAX_TYPE_CHARS,
  STANZA_PREFIX,
  VERSION_LINE,
} from './format.js';

export interface Stanza {
  type: string;
  args: string[];
  /** The decoded body: the wrapped file key. */
  body: Uint8Array;
  /** The stanza's exact bytes, its line through its last body line's LF (kept by rekey). */
  raw: Uint8Array;
}

export interface ParsedHeader {
  stanzas: Stanza[];
  /** What the MAC covers: the header from its first byte through the mac line's "---". */
  macInput: Uint8Array;
  mac: Uint8Array;
  /** The whole header; the payload starts right after it. */
  bytes: Uint8Array;
}

const PRINTABLE = /^[\x21-\x7e]+$/;
const BASE64_CHARS = /^[A-Za-z0-9+/]*$/;
const MAC_LINE = /^--- ([A-Za-z0-9+/]{43})$/;

function corrupt(message: string): SectorCryptError {
  return new SectorCryptError('ERR_CORRUPT_HEADER', message);
}

/** ERR_ARGUMENT (writing) or ERR_CORRUPT_HEADER (reading) unless type and args fit the grammar. */
export function checkStanzaLine(type: string, args: readonly string[], fail: (message: string) => Error): void {
  if (type.length > MAX_TYPE_CHARS || !PRINTABLE.test(type)) fail(`stanza type must be 1 to ${MAX_TYPE_CHARS} printable ASCII characters`);
  if (args.length > MAX_ARGS) fail(`a stanza has at most ${MAX_ARGS} arguments`);
  for (const arg of args) {
    if (arg.length > MAX_ARG_CHARS || !PRINTABLE.test(arg))
      fail(`stanza arguments must be 1 to ${MAX_ARG_CHARS} printable ASCII characters without spaces`);
  }
}

const ascii = new TextEncoder();

/** One stanza as it is written: "-> type args" LF, then the body in lines of 64 characters. */
export function encodeStanza(type: string, args: readonly string[], body: Uint8Array): Uint8Array {
  checkStanzaLine(type, args, (message) => {
    throw new SectorCryptError('ERR_ARGUMENT', message);
  });
  const text = encodeBase64(body);
  const lines = [STANZA_PREFIX + [type, ...args].join(' ')];
  // The last line is always shorter than 64 characters: empty when the text fills its lines.
  for (let i = 0; i <= text.length; i += BODY_LINE_CHARS) lines.push(text.slice(i, i + BODY_LINE_CHARS));
  return ascii.encode(lines.join('\n') + '\n');
}

/** The bytes the MAC covers, for these stanzas (in order). */
export function macInputOf(stanzas: readonly Uint8Array[]): Uint8Array {
  if (stanzas.length < 1 || stanzas.length > MAX_STANZAS) {
    throw new SectorCryptError('ERR_ARGUMENT', `an envelope has 1 to ${MAX_STANZAS} recipients`);
  }
  return Buffer.concat([ascii.encode(VERSION_LINE + '\n'), ...stanzas, ascii.encode(MAC_PREFIX)]);
}

/** The complete header: the MAC input, then " " base64(mac) LF. */
export function finishHeader(macInput: Uint8Array, mac: Uint8Array): Uint8Array {
  const bytes = Buffer.concat([macInput, ascii.encode(` ${encodeBase64(mac)}\n`)]);
  if (bytes.length > MAX_HEADER_BYTES) throw new SectorCryptError('ERR_ARGUMENT', 'the header would exceed 1 MiB');
  return new Uint8Array(bytes);
}

type State = 'version' | 'next' | 'body' | 'done';

export class HeaderScanner {
  private state: State = 'version';
  private readonly lines: Uint8Array[] = [];
  private partial: Uint8Array[] = [];
  private partialBytes = 0;
  /** Header bytes taken so far, complete lines (with their LF) only. */
  private taken = 0;
  private readonly stanzas: { type: string; args: string[]; body?: Uint8Array; start: number; end: number }[] = [];
  private bodyText = '';
  private macStart = 0;
  private mac?: Uint8Array;

  /**
   * Takes the next input bytes. Returns undefined while the header goes on, or, once its
   * last line arrived, how many bytes of `chunk` belong to it (the rest is payload).
   */
  push(chunk: Uint8Array): number | undefined {
    if (this.state === 'done') return 0;
    let pos = 0;
    while (pos < chunk.length) {
      const lf = chunk.indexOf(0x0a, pos);
      const end = lf < 0 ? chunk.length : lf;
      const piece = chunk.subarray(pos, end);
      if (this.partialBytes + piece.length > MAX_LINE_BYTES) throw corrupt(`header line longer than ${MAX_LINE_BYTES} bytes`);
      if (this.taken + this.partialBytes + piece.length >= MAX_HEADER_BYTES) throw corrupt('header larger than 1 MiB');
      if (lf < 0) {
        this.partial.push(copyBytes(piece));
        this.partialBytes += piece.length;
        return undefined;
      }
      const line = this.partial.length === 0 ? copyBytes(piece) : Buffer.concat([...this.partial, piece]);
      this.partial = [];
      this.partialBytes = 0;
      this.line(line);
      pos = lf + 1;
      if (this.complete) return pos;
    }
    return undefined;
  }

  get complete(): boolean {
    return this.state === 'done';
  }

  /** The parsed header; ERR_CORRUPT_HEADER if the input ended before its mac line. */
  result(): ParsedHeader {
    if (this.state !== 'done') throw corrupt('input ends inside the envelope header');
    const bytes = new Uint8Array(Buffer.concat(this.lines));
    return {
      stanzas: this.stanzas.map((s) => ({ type: s.type, args: s.args, body: s.body!, raw: bytes.slice(s.start, s.end) })),
      macInput: bytes.slice(0, this.macStart + MAC_PREFIX.length),
      mac: this.mac!,
      bytes,
    };
  }

  private line(bytes: Uint8Array): void {
    const start = this.taken;
    this.lines.push(bytes, new Uint8Array([0x0a]));
    this.taken += bytes.length + 1;
    const text = Buffer.from(bytes).toString('latin1');
    switch (this.state) {
      case 'version':
        if (text !== VERSION_LINE) throw corrupt(`not a sectorcrypt envelope (the first line must be ${VERSION_LINE})`);
        this.state = 'next';
        return;
      case 'next':
        if (text.startsWith(STANZA_PREFIX)) return this.stanzaLine(text.slice(STANZA_PREFIX.length), start);
        if (text.startsWith(MAC_PREFIX)) return this.macLine(text, start);
        throw corrupt('expected a stanza ("-> ") or the mac line ("--- ")');
      case 'body':
        return this.bodyLine(text, start);
      default:
        throw corrupt('unexpected header state');
    }
  }

  private stanzaLine(text: string, start: number): void {
    if (this.stanzas.length === MAX_STANZAS) throw corrupt(`more than ${MAX_STANZAS} stanzas`);
    const [type, ...args] = text.split(' ');
    checkStanzaLine(type, args, (message) => {
      throw corrupt(message);
    });
    this.stanzas.push({ type, args, start, end: start });
    this.bodyText = '';
    this.state = 'body';
  }

  private bodyLine(text: string, start: number): void {
    if (text.length > BODY_LINE_CHARS || !BASE64_CHARS.test(text)) throw corrupt('stanza body lines hold at most 64 base64 characters');
    this.bodyText += text;
    if (text.length === BODY_LINE_CHARS) return;
    const stanza = this.stanzas[this.stanzas.length - 1];
    stanza.body = decodeBase64(this.bodyText, `body of stanza ${this.stanzas.length - 1}`);
    stanza.end = start + text.length + 1;
    this.bodyText = '';
    this.state = 'next';
  }

  private macLine(text: string, start: number): void {
    const match = MAC_LINE.exec(text);
    if (!match) throw corrupt('malformed mac line');
    if (this.stanzas.length === 0) throw corrupt('an envelope header holds at least one stanza');
    this.mac = decodeBase64(match[1], 'header MAC');
    if (this.mac.length !== MAC_BYTES) throw corrupt('header MAC must be 32 bytes');
    this.macStart = start;
    this.state = 'done';
  }
}

/** Parses the header at the start of `bytes` (which may go on with the payload). */
export function parseHeader(bytes: Uint8Array): ParsedHeader {
  const scanner = new HeaderScanner();
  scanner.push(bytes);
  return scanner.result();
}
