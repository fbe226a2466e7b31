/** What a batch stream does with its bytes; the driver (driver.ts) does the buffering and ordering. */

export interface BatchCodec {
  /** Input bytes taken before the first batch (a header); 0 for none. */
  readonly headBytes: number;
  /** Input bytes per batch job, at most: a multiple of `unit`. */
  readonly batchBytes: number;
  /** Batches are whole units (a sealed chunk, a sector); large writes give shorter batches. */
  readonly unit: number;
  /**
   * Takes the head: exactly headBytes bytes, or fewer when the input ended before that.
   * May return output to emit before any batch. Throws on a bad head.
   */
  head(input: Uint8Array): Uint8Array | undefined;
  /**
   * Starts one batch job (called in input order). `owned` says the buffer belongs to the
   * stream, so the job may write its output over it.
   */
  batch(input: Uint8Array, owned: boolean): Promise<Uint8Array>;
  /**
   * Handles the input left at the end (shorter than a batch), after every batch was
   * emitted: emits what it produces, then throws if the input ended badly.
   */
  finish(rest: Uint8Array, emit: (output: Uint8Array) => void): Promise<void>;
  /** Wipes keys; called once, after every job has settled. */
  close(): void;
}
