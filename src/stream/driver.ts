/**
 * BatchDriver: cuts any input chunking into batches, keeps up to `depth` batches' worth of
 * input in flight (on the thread pool, for native ciphers) and emits their outputs in input order
 * as soon as each is ready. After the first error it emits nothing more and every later
 * call fails with that error.
 */
import { SectorCryptError } from '../errors.js';
import { sharedBudget } from './budget.js';
import type { BatchCodec } from './codec.js';

/**
 * Batches in flight. One: the backend spreads a batch over the cores (src/backend/native.ts
 * slices it), and the event loop gathers the next batch while it runs. Each batch more in
 * flight kept its input and output alive across more young-generation collections, so V8
 * moved them to the old generation: a 2 GiB encrypt stream peaked at 160-200 MiB of RSS
 * with three, 100-115 MiB with one, at the same speed (bench/datapath.ts).
 */
export const DEFAULT_DEPTH = 1;

const noop = () => {};

export class BatchDriver {
  private pending?: Uint8Array;
  private pendingLength = 0;
  /** Batch buffers whose job is done and whose output went elsewhere: reused, not reallocated. */
  private spare: Uint8Array[] = [];
  private headLeft: number;
  /** Head bytes gathered so far; undefined once the head was handled. */
  private headParts?: Uint8Array[] = [];
  /** Emission of each job in flight, oldest first, and its input bytes. */
  private inFlight: { emitted: Promise<void>; bytes: number }[] = [];
  private inFlightBytes = 0;
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
      const { batchBytes: size, unit } = this.codec;
      while (offset < data.length) {
        const left = data.length - offset;
        const need = this.pendingLength % unit === 0 ? 0 : unit - (this.pendingLength % unit);
        if (left >= size / 2 && need <= left) {
          // A large write goes to the jobs as views of the caller's bytes, uncopied: first
          // complete the pending unit (and send what is pending), then whole units.
          offset += this.fill(data.subarray(offset, offset + need));
          if (this.pendingLength > 0) await this.launchPending();
          const rest = data.length - offset;
          const whole = Math.min(size, rest - (rest % unit));
          if (whole > 0) await this.launch(data.subarray(offset, offset + whole));
          offset += whole;
          if (need > 0 || whole > 0) continue;
        }
        const n = this.fill(data.subarray(offset, offset + Math.min(size - this.pendingLength, left)));
        offset += n;
        if (this.pendingLength === size) await this.launchPending();
      }
    } catch (err) {
      throw this.abort(err);
    }
  }

  /** Copies `bytes` (which fit) after the pending ones; returns how many. */
  private fill(bytes: Uint8Array): number {
    // Every byte of a batch buffer is written before it is read, so no zero fill.
    this.pending ??= this.spare.pop() ?? Buffer.allocUnsafe(this.codec.batchBytes);
    this.pending.set(bytes, this.pendingLength);
    this.pendingLength += bytes.length;
    return bytes.length;
  }

  private launchPending(): Promise<void> {
    const buffer = this.pending!;
    const batch = buffer.subarray(0, this.pendingLength);
    this.pending = undefined;
    this.pendingLength = 0;
    return this.launch(batch, buffer);
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

  /** `own` is the stream's buffer that holds `batch` (reused afterwards unless the output is in it). */
  private async launch(batch: Uint8Array, own?: Uint8Array): Promise<void> {
    // The limit is in bytes, so that the one-unit batch a large write makes when it
    // completes a unit begun by the previous write does not hold back a whole batch.
    // The count limit stops a flood of tiny jobs.
    const limit = this.depth * this.codec.batchBytes;
    while (this.inFlight.length > 0 && (this.inFlightBytes + batch.length > limit || this.inFlight.length >= 4 * this.depth)) {
      const oldest = this.inFlight.shift()!;
      this.inFlightBytes -= oldest.bytes;
      await oldest.emitted;
    }
    this.check();
    if (this.closed) throw new SectorCryptError('ERR_CLOSED', 'stream was destroyed');
    await sharedBudget.acquire();
    let job: Promise<Uint8Array>;
    try {
      this.check();
      if (this.closed) throw new SectorCryptError('ERR_CLOSED', 'stream was destroyed');
      job = this.codec.batch(batch, own !== undefined);
    } catch (err) {
      sharedBudget.release();
      throw err;
    }
    this.jobs.add(job);
    job.then(
      (output) => {
        sharedBudget.release();
        this.jobs.delete(job);
        if (own && output.buffer !== own.buffer && this.spare.length < this.depth) this.spare.push(own);
      },
      () => {
        sharedBudget.release();
        this.jobs.delete(job);
      },
    );
    const emitted = this.emitted.then(() => job).then((output) => this.output(output));
    emitted.catch((err: unknown) => this.abort(err));
    this.emitted = emitted.catch(noop);
    this.inFlight.push({ emitted: this.emitted, bytes: batch.length });
    this.inFlightBytes += batch.length;
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
