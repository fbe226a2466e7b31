/**
 * One batch at a time: whatever is pushed while a batch runs goes into the next one (up to
 * maxBatch items). Nothing waits for a batch to fill, so a lone item runs at once. The
 * release path's admissions (admissions.ts) and records (recorder.ts) run
 * through it.
 */
export interface Settles {
  reject(err: unknown): void;
}

export class BatchQueue<T extends Settles> {
  readonly #work: (batch: T[]) => Promise<void>;
  readonly #maxBatch: number;
  #queue: T[] = [];
  #running = false;

  /** `work` settles each item of its batch; if it throws, every item is rejected with the error. */
  constructor(work: (batch: T[]) => Promise<void>, maxBatch: number) {
    this.#work = work;
    this.#maxBatch = maxBatch;
  }

  push(item: T): void {
    this.#queue.push(item);
    if (!this.#running) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length) {
        const batch = this.#queue.splice(0, this.#maxBatch);
        try {
          await this.#work(batch);
        } catch (err) {
          // An item already settled keeps its outcome.
          for (const item of batch) item.reject(err);
        }
      }
    } finally {
      this.#running = false;
    }
  }
}
