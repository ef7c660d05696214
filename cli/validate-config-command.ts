import { Command, Option } from 'clipanion';
import { checkWorkerConfig } from '../runtime/index.js';
import { parseDuration } from '../runtime/settings/parse-text.js';
import { applyWorkerOverrides, workerOverridesFromEnvironment } from '../runtime/settings/worker-overrides.js';
import { BrokerCommand } from './command-support.js';
import { loadWorkerSettings } from './worker-module.js';
import { say } from './cli-messages.js';

/** `rabbitmq-arq validate-config -m ./worker.ts:workerSettings`: settings and broker checked before a deploy. */
export class ValidateConfigCommand extends BrokerCommand {
  static override paths = [['validate-config']];

  static override usage = Command.Usage({
    description: 'Check worker settings and the broker they will meet; exit 0 when all is well',
    details: `
      Reports every settings problem at once, then: broker reachable, each queue's existing type and
      arguments compatible (else the 406 the worker would hit, and the fix), delay ladder present, and
      every job timeout below the broker's consumer_timeout. ARQ_* variables apply as for \`worker\`.
    `,
    examples: [['Before a deploy', '$0 validate-config -m ./worker.ts:workerSettings']],
  });

  module = Option.String('-m,--worker-module', { required: true, description: 'path[:export] of the worker settings' });
  consumerTimeout = Option.String('--consumer-timeout', {
    description: "The broker's consumer_timeout (duration; default: RabbitMQ's 30 min, assumed)",
  });

  protected async run(): Promise<number> {
    const environment = workerOverridesFromEnvironment(process.env);
    const settings = applyWorkerOverrides(await loadWorkerSettings(this.module, process.cwd()), environment, {
      ...(this.url ? { url: this.url } : {}),
    });
    const findings = await checkWorkerConfig(settings, {
      connectionTimeout: this.connectionSettings().connectionTimeout,
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
