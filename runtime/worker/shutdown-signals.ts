/**
 * SIGTERM and SIGINT handlers for the worker's lifetime, removed again when it stops, so a process
 * may run several workers one after another without piling up listeners.
 */
export class ShutdownSignals {
  private readonly installed: Array<[NodeJS.Signals, () => void]> = [];

  constructor(private readonly onSignal: (signal: NodeJS.Signals) => void) {}

  install(): void {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const handler = (): void => this.onSignal(signal);
      process.on(signal, handler);
      this.installed.push([signal, handler]);
    }
  }

  uninstall(): void {
    for (const [signal, handler] of this.installed) process.off(signal, handler);
    this.installed.length = 0;
  }
}
