/**
 * BatchDriver: cuts any input chunking into batches, keeps up to `depth` batch jobs in
 * flight (on the thread pool, for native ciphers) and emits their outputs in input order
 * as soon as each is ready. After the first error it emits nothing more and every later
 * call fails with that error.
 */
import { SectorCryptError } from '../errors.js';
import type { BatchCodec } from './codec.js';

/** Batches in flight: two cores stay busy while the event loop copies and emits. */
export const DEFAULT_DEPTH = 3;

const noop = () => {};

export class BatchDriver {
  private pending?: Uint8Array;
  private pendingLength = 0;
  private headLeft: number;
  /** Head bytes gathered so far; undefined once the head was handled. */
  private headParts?: Uint8Array[] = [];
  /** Emission of each job in flight, oldest first. */
  private inFlight: Promise<void>[] = [];
  /** Settles after the newest job was emitted (or failed). */
  private emitted: Promise<void> = Promise.resolve();
  private jobs = new Set<Promise<unknown>>();
  private failure?: { error: unknown };
  private closed = false;

  constructor(
    private readonly codec: BatchCodec,
    private readonly emit: (output: Uint8Array) => void,
    private readonly onError: (error: unknown) => void,
    private readonly depth = DEFAULT_DEPTH,
  ) {
    this.headLeft = codec.headBytes;
  }

  async write(data: Uint8Array): Promise<void> {
    this.check();
    let offset = 0;
    try {
      if (this.headParts) offset = this.takeHead(data, false);
      const size = this.codec.batchBytes;
      while (offset < data.length) {
        if (this.pendingLength === 0 && data.length - offset >= size) {
          // A whole batch inside the caller's chunk: no copy.
          await this.launch(data.subarray(offset, offset + size), false);
          offset += size;
          continue;
        }
        this.pending ??= new Uint8Array(size);
        const n = Math.min(size - this.pendingLength, data.length - offset);
        this.pending.set(data.subarray(offset, offset + n), this.pendingLength);
        this.pendingLength += n;
        offset += n;
        if (this.pendingLength === size) {
          const batch = this.pending;
          this.pending = undefined;
          this.pendingLength = 0;
          await this.launch(batch, true);
        }
      }
    } catch (err) {
      throw this.abort(err);
    }
  }

  /** Emits every batch, then lets the codec finish the rest; closes the codec either way. */
  async end(): Promise<void> {
    this.check();
    try {
      if (this.headParts) this.takeHead(new Uint8Array(0), true);
      await this.emitted;
      this.check();
      const rest = this.pending?.subarray(0, this.pendingLength) ?? new Uint8Array(0);
      await this.codec.finish(rest, (output) => this.output(output));
    } catch (err) {
      throw this.abort(err);
    }
    await this.close();
  }

  /** Waits for the jobs in flight, then wipes the codec's keys (once). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.jobs]);
    this.codec.close();
  }

  /** Collects the head; returns how many bytes of `data` it took. */
  private takeHead(data: Uint8Array, atEnd: boolean): number {
    const parts = this.headParts!;
    const n = Math.min(this.headLeft, data.length);
    if (n > 0) parts.push(new Uint8Array(data.subarray(0, n)));
    this.headLeft -= n;
    if (this.headLeft > 0 && !atEnd) return n;
    const head = new Uint8Array(Buffer.concat(parts));
    this.headParts = undefined;
    const output = this.codec.head(head);
    if (output) this.output(output);
    return n;
  }

  private async launch(batch: Uint8Array, owned: boolean): Promise<void> {
    if (this.inFlight.length >= this.depth) await this.inFlight.shift();
    this.check();
    if (this.closed) throw new SectorCryptError('ERR_ARGUMENT', 'stream was destroyed');
    const job = this.codec.batch(batch, owned);
    this.jobs.add(job);
    job.then(
      () => this.jobs.delete(job),
      () => this.jobs.delete(job),
    );
    const emitted = this.emitted.then(() => job).then((output) => this.output(output));
    emitted.catch((err: unknown) => this.abort(err));
    this.emitted = emitted.catch(noop);
    this.inFlight.push(this.emitted);
  }

  private output(output: Uint8Array): void {
    if (!this.failure && output.length > 0) this.emit(output);
  }

  private check(): void {
    if (this.failure) throw this.failure.error;
  }

  /** Records the first error, reports it once, wipes keys once the jobs settle; returns it. */
  abort(err: unknown): unknown {
    if (this.failure) return this.failure.error;
    this.failure = { error: err };
    this.onError(err);
    void this.close();
    return err;
  }
}
