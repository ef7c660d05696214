import { createInterface } from 'node:readline/promises';
import { Command, Option } from 'clipanion';
import { inspectQueue, purgeQueue } from '../runtime/index.js';
import { BrokerCommand } from './command-support.js';
import { say } from './cli-messages.js';

/** `rabbitmq-arq queue-info -q <queue>`: depth, consumers, dead letters, delayed messages. */
export class QueueInfoCommand extends BrokerCommand {
  static override paths = [['queue-info']];

  static override usage = Command.Usage({
    description: 'Show how many jobs wait, run and failed on a queue',
    details: `
      Unacked (delivered, not yet acked) needs the management API (--management-url); AMQP cannot see it.
      Delayed counts the delay ladder, which all queues of the vhost share.
    `,
    examples: [
      ['A queue at a glance', '$0 queue-info -q default'],
      [
        'As JSON, with unacked from the management API',
        '$0 queue-info -q default --json --management-url http://localhost:15672',
      ],
    ],
  });

  queue = Option.String('-q,--queue', { required: true, description: 'Queue name' });
  json = Option.Boolean('--json', false, { description: 'Print JSON' });
  managementUrl = Option.String('--management-url', { description: 'RabbitMQ management API, for unacked' });
  delayPrefix = Option.String('--delay-prefix', { description: 'Prefix of the delay ladder (default arq)' });

  protected async run(): Promise<number> {
    const info = await inspectQueue(this.queue, {
      ...this.connectionSettings(),
      ...(this.managementUrl ? { managementUrl: this.managementUrl } : {}),
      ...(this.delayPrefix ? { delayPrefix: this.delayPrefix } : {}),
    });
    if (this.json) {
      this.context.stdout.write(JSON.stringify(info) + '\n');
      return 0;
    }
    const lines = [
      say('infoQueue', { queue: info.queue, exists: info.exists ? 1 : 0 }),
      say('infoReady', { count: info.ready }),
      info.unacked === null ? say('infoUnackedUnknown') : say('infoUnacked', { count: info.unacked }),
      say('infoConsumers', { count: info.consumers }),
      say('infoDeadLetters', { count: info.deadLetters, dlq: info.deadLetterQueue }),
      say('infoDelayed', { count: info.delayedInLadder }),
    ];
    this.context.stdout.write(lines.join('\n') + '\n');
    return 0;
  }
}

/** `rabbitmq-arq purge-queue -q <queue> --yes`: removes every ready job of a queue. */
export class PurgeQueueCommand extends BrokerCommand {
  static override paths = [['purge-queue']];

  static override usage = Command.Usage({
    description: 'Remove every ready job from a queue',
    details: `
      Asks for confirmation on a terminal; elsewhere (scripts, CI) it refuses unless --yes is given.
      Jobs being run right now (unacked) are not removed.
    `,
    examples: [['Empty a queue from a script', '$0 purge-queue -q default --yes']],
  });

  queue = Option.String('-q,--queue', { required: true, description: 'Queue name' });
  yes = Option.Boolean('-y,--yes', false, { description: 'Do not ask' });

  protected async run(): Promise<number> {
    if (!(await confirm(this.context, this.yes, say('purgeQueueQuestion', { queue: this.queue })))) return 1;
    const removed = await purgeQueue(this.queue, this.connectionSettings());
    this.context.stdout.write(say('queuePurged', { removed, queue: this.queue }) + '\n');
    return 0;
  }
}

/**
 * True with `--yes`; on a terminal, asks; otherwise refuses with the flag to give. A destructive
 * command in a pipe must never proceed on a guess.
 */
export async function confirm(
  context: { stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
  yes: boolean,
  question: string,
): Promise<boolean> {
  if (yes) return true;
  const stdin = context.stdin as NodeJS.ReadStream;
  if (!stdin.isTTY) {
    context.stderr.write(say('refusedWithoutYes', { action: question.replace(/[?？]$/, '') }) + '\n');
    return false;
  }
  const prompt = createInterface({ input: stdin, output: context.stdout as NodeJS.WritableStream });
  try {
    const answer = await prompt.question(`${question} [y/N] `);
    if (/^y(es)?$/i.test(answer.trim())) return true;
    context.stderr.write(say('nothingRemoved') + '\n');
    return false;
  } finally {
    prompt.close();
  }
}
