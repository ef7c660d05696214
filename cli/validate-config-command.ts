import { Command, Option } from 'clipanion';
import { checkWorkerConfig } from '../runtime/index.js';
import { parseDuration } from '../runtime/settings/parse-text.js';
import { CLI_CONNECTION_TIMEOUT_MS, reportFailure } from './command-support.js';
import { loadWorkerSettings } from './worker-module.js';
import { say } from './cli-messages.js';
import { WorkerSettingsCommand } from './worker-settings-command.js';

/** `rabbitmq-arq validate-config -m ./worker.ts:workerSettings`: settings and broker checked before a deploy. */
export class ValidateConfigCommand extends WorkerSettingsCommand {
  static override paths = [['validate-config']];

  static override usage = Command.Usage({
    description: 'Check worker settings and the broker they will meet; exit 0 when all is well',
    details: `
      Reports every settings problem at once, then: broker reachable (with a list of nodes: how many
      answer), with --management-url each job queue's members and leader, each queue's existing type and
      arguments compatible (else the 406 the worker would hit, and the fix), delay ladder present, and
      every job timeout below the broker's consumer_timeout. The settings' flags and ARQ_* variables
      apply as for \`worker\`; the broker is given 5s unless --connection-timeout says otherwise.
    `,
    examples: [['Before a deploy', '$0 validate-config -m ./worker.ts:workerSettings']],
  });

  managementUrl = Option.String('--management-url', {
    description: "RabbitMQ management API, to report each job queue's members and leader",
  });

  consumerTimeout = Option.String('--consumer-timeout', {
    description: "The broker's consumer_timeout (duration; default: RabbitMQ's 30 min, assumed)",
  });

  async execute(): Promise<number> {
    try {
      return await this.check();
    } catch (err) {
      reportFailure(
        this.context.stderr,
        this.cli.binaryName,
        'validate-config',
        err,
        this.flag('logLevel') === 'debug',
      );
      return 1;
    }
  }

  private async check(): Promise<number> {
    const flags = this.flagOverrides();
    const settings = this.layerOver(process.env)(await loadWorkerSettings(this.module, process.cwd()));
    const findings = await checkWorkerConfig(settings, {
      // A person is waiting: fail in 5 s, not the worker's 30, unless the flag asks for longer.
      connectionTimeout: flags.connectionTimeout ?? CLI_CONNECTION_TIMEOUT_MS,
      ...(this.managementUrl === undefined ? {} : { managementUrl: this.managementUrl }),
      ...(this.consumerTimeout === undefined
        ? {}
        : { consumerTimeout: parseDuration(this.consumerTimeout, '--consumer-timeout') }),
    });
    for (const finding of findings) this.context.stdout.write(`${finding.ok ? 'ok  ' : 'FAIL'} ${finding.text}\n`);
    const failed = findings.filter((finding) => !finding.ok).length;
    this.context.stdout.write((failed === 0 ? say('configOk') : say('configProblems', { count: failed })) + '\n');
    return failed === 0 ? 0 : 1;
  }
}
