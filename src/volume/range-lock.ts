/**
 * A reader-writer lock over ranges of sectors. Reads share, a write excludes every
 * overlapping read and write, and requests that overlap start in arrival order: so a
 * reader never sees half of a write, and overlapping writes land in the order issued.
 */
interface Request {
  start: number;
  end: number;
  write: boolean;
  running: boolean;
  go: () => void;
}

function conflict(a: Request, b: Request): boolean {
  return (a.write || b.write) && a.start < b.end && b.start < a.end;
}

export class RangeLock {
  private queue: Request[] = [];

  /** Waits for [start, end) and returns the function that releases it. */
  async acquire(start: number, end: number, write: boolean): Promise<() => void> {
    let go!: () => void;
    const started = new Promise<void>((resolve) => (go = resolve));
    const req: Request = { start, end, write, running: false, go };
    this.queue.push(req);
    this.pump();
    await started;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.queue.splice(this.queue.indexOf(req), 1);
      this.pump();
    };
  }

  /** Starts each waiting request that no earlier request (running or waiting) conflicts with. */
  private pump(): void {
    for (let i = 0; i < this.queue.length; i++) {
      const req = this.queue[i];
      if (req.running) continue;
      let blocked = false;
      for (let j = 0; j < i && !blocked; j++) blocked = conflict(this.queue[j], req);
      if (!blocked) {
        req.running = true;
        req.go();
      }
    }
  }

  /** Requests running or waiting. */
  get pending(): number {
    return this.queue.length;
  }
}
