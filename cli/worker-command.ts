import { Command } from 'clipanion';
import { Worker } from '../runtime/index.js';
import { say } from './cli-messages.js';
import { reportFailure } from './command-support.js';
import { loadWorkerSettings } from './worker-module.js';
import { overrideVariablesText, WorkerSettingsCommand } from './worker-settings-command.js';

/** `rabbitmq-arq worker -m ./worker.ts:workerSettings`: runs a worker until SIGTERM/SIGINT (or, with --burst, until drained). */
export class WorkerCommand extends WorkerSettingsCommand {
  static override paths = [['worker']];

  static override usage = Command.Usage({
    description: 'Run a worker from a module that exports worker settings or an array of named job functions',
    details: `
      Each setting comes from the first of: its flag, its environment variable, the module, the default.
      Variables: ${overrideVariablesText}. Durations accept 300 (seconds), 300s, 5m, 1h or 250ms,
      in flags and variables alike. The module may be TypeScript: no build step needed.

      Exit codes: 0 stopped (signal, or burst mode drained), 1 failed to start or crashed.
    `,
    examples: [
      ['Run the settings exported as workerSettings', '$0 worker -m ./worker.ts:workerSettings'],
      ['Drain the queues, then exit', '$0 worker -m ./worker.ts:workerSettings --burst'],
      ['Run a bare list of job functions on a queue', '$0 worker -m ./jobs.ts:functions -q my_queue'],
    ],
  });

  async execute(): Promise<number> {
    const code = await this.runWorker();
    // A handler that ignored its abort signal may still hold a timer or a socket: once the worker has
    // stopped (its jobs requeued), nothing of ours is left to wait for, so the process ends regardless.
    setTimeout(() => process.exit(code), 200).unref();
    return code;
  }

  private async runWorker(): Promise<number> {
    const npmWarning = startedThroughNpmWarning(process.env);
    if (npmWarning) this.context.stderr.write(`${this.cli.binaryName} worker: ${npmWarning}\n`);
    try {
      const layer = this.layerOver(process.env);
      const worker = new Worker(layer(await loadWorkerSettings(this.module, process.cwd())));
      await worker.run();
      return 0;
    } catch (err) {
      reportFailure(this.context.stderr, this.cli.binaryName, 'worker', err, this.flag('logLevel') === 'debug');
      return 1;
    }
  }
}

/**
 * npm (`npx`, `npm exec`, `npm start`, `npm run`) runs a bin in a shell and exits on SIGTERM without
 * passing it on, so an orchestrator's stop never reaches the worker. npm tells its children the command
 * it ran (`npm_lifecycle_script`); only a script that starts this CLI itself is meant, not one (such as a
 * test run) that starts it further down.
 */
export function startedThroughNpmWarning(env: NodeJS.ProcessEnv): string | undefined {
  const command = env.npm_command;
  const script = env.npm_lifecycle_script ?? '';
  if (!command || !/^(?:\S*\/)?(?:rabbitmq-arq|tsx cli\/main\.ts)(?:\s|$)/.test(script)) return undefined;
  return say('startedThroughNpm', { command });
}
