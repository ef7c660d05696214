/** Limits how many handlers run at once across all of a worker's queues. */
export class Semaphore {
  private waiting: Array<() => void> = [];
  private held = 0;

  constructor(private readonly limit: number) {}

  get inUse(): number {
    return this.held;
  }

  /** Resolves with a release function once a slot is free; each release frees exactly one slot. */
  async acquire(): Promise<() => void> {
    if (this.held < this.limit) this.held += 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `held` only drops when nobody waits.
      if (next) next();
      else this.held -= 1;
    };
  }
}
