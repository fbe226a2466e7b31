/**
 * JobBudget: a limit on the batch jobs in flight across every stream of the process.
 *
 * Each stream keeps a few batches in flight so that the cores stay busy; with many streams
 * at once that adds up to dozens of jobs queued behind a thread pool of four. A queued job
 * holds its input and output, and anything held across two young-generation collections
 * moves to V8's old generation, which is collected far less often: 16 streams held
 * 300 MiB that way. Jobs beyond what the cores can run add memory and no speed, so they
 * wait here instead, first come first served.
 */
import { availableParallelism } from 'node:os';

export class JobBudget {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {}

  /** Resolves when a job may start; call release() once it settled. */
  acquire(): Promise<void> {
    if (this.running < this.limit) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    // The slot goes straight to the next waiter, so a newcomer cannot overtake it.
    if (next) next();
    else this.running--;
  }
}

/** Two jobs per core: one running, one ready as it ends. */
export const sharedBudget = new JobBudget(2 * availableParallelism());
