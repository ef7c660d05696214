/** Limits how many handlers run at once across all of a worker's queues. */
export class Semaphore {
  private waiting: Array<(release: () => void) => void> = [];
  private held = 0;

  constructor(private readonly limit: number) {}

  get inUse(): number {
    return this.held;
  }

  /** A release function if a slot is free right now, else undefined (the hot path avoids a promise). */
  tryAcquire(): (() => void) | undefined {
    if (this.held >= this.limit) return undefined;
    this.held += 1;
    return this.releaser();
  }

  /** Resolves with a release function once a slot is free; each release frees exactly one slot. */
  acquire(): Promise<() => void> {
    const release = this.tryAcquire();
    if (release) return Promise.resolve(release);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `held` only drops when nobody waits.
      if (next) next(this.releaser());
      else this.held -= 1;
    };
  }
}
