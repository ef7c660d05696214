import { Command, Option } from 'clipanion';
import { InvalidSettings, listDeadLetters, purgeDeadLetters, replayDeadLetters } from '../runtime/index.js';
import type { ReplaySelection } from '../runtime/index.js';
import { parseWholeNumber } from '../runtime/settings/parse-text.js';
import { BrokerCommand } from './command-support.js';
import { confirm } from './queue-commands.js';
import { say } from './cli-messages.js';

/** `rabbitmq-arq dlq list -q <queue>`: what failed, why, and after how many tries. */
export class DlqListCommand extends BrokerCommand {
  static override paths = [['dlq', 'list']];

  static override usage = Command.Usage({
    description: "List a queue's dead-lettered jobs with their reasons",
    details:
      'Reads <queue>_dlq without removing anything. Jobs the broker dead-lettered (delivery limit) show its reason.',
    examples: [
      ['The 20 oldest dead letters', '$0 dlq list -q default --limit 20'],
      ['As JSON lines', '$0 dlq list -q default --json'],
    ],
  });

  queue = Option.String('-q,--queue', { required: true, description: 'Queue whose <queue>_dlq to read' });
  limit = Option.String('--limit', { description: 'At most this many (default 100)' });
  json = Option.Boolean('--json', false, { description: 'One JSON object per line' });

  protected async run(): Promise<number> {
    const letters = await listDeadLetters(this.queue, {
      ...this.connectionSettings(),
      limit: this.limit === undefined ? 100 : parseWholeNumber(this.limit, '--limit'),
    });
    const out = this.context.stdout;
    if (this.json) {
      for (const letter of letters) out.write(JSON.stringify(letter) + '\n');
      return 0;
    }
    if (letters.length === 0) {
      out.write(say('dlqEmpty', { queue: this.queue }) + '\n');
      return 0;
    }
    for (const letter of letters) {
      const reason = letter.errorType
        ? `${letter.errorType}${letter.errorCode ? ` [${letter.errorCode}]` : ''} (${letter.errorCategory}): ${letter.errorMessage ?? ''}`
        : `broker: ${letter.brokerReason ?? 'unknown reason'}`;
      out.write(
        `${letter.jobId ?? '?'}  ${letter.functionName ?? '?'}  tries=${letter.tries ?? '?'}  ${letter.failedAt ?? ''}  ${reason}\n`,
      );
    }
    return 0;
  }
}

/** `rabbitmq-arq dlq replay -q <queue> --all`: puts dead jobs back with a fresh attempt count. */
export class DlqReplayCommand extends BrokerCommand {
  static override paths = [['dlq', 'replay']];

  static override usage = Command.Usage({
    description: 'Put dead-lettered jobs back on their queue, with a fresh attempt count',
    details: `
      Each job is published (confirmed by the broker) before its dead copy is removed: an interrupted
      replay leaves at most one duplicate, never a lost job. Replayed jobs run now and do not expire.
    `,
    examples: [
      ['Every dead job of a queue', '$0 dlq replay -q default --all'],
      ['Only timeouts, 50 per second', '$0 dlq replay -q default --error-type JobTimeout --rate 50'],
      ['One job', '$0 dlq replay -q default --job-id 3f2a...'],
    ],
  });

  queue = Option.String('-q,--queue', { required: true, description: 'Queue to replay <queue>_dlq into' });
  all = Option.Boolean('--all', false, { description: 'Replay every dead letter' });
  jobId = Option.String('--job-id', { description: 'Replay this job only' });
  errorType = Option.String('--error-type', { description: 'Replay jobs that failed with this x-error-type' });
  rate = Option.String('--rate', { description: 'At most this many per second' });

  protected async run(): Promise<number> {
    const chosen = [this.all, this.jobId !== undefined, this.errorType !== undefined].filter(Boolean).length;
    if (chosen !== 1) throw new InvalidSettings('give exactly one of --all, --job-id ID or --error-type TYPE');
    const select: ReplaySelection = this.all
      ? { all: true }
      : this.jobId !== undefined
        ? { jobId: this.jobId }
        : { errorType: this.errorType as string };
    const stderr = this.context.stderr as NodeJS.WriteStream;
    const progress = stderr.isTTY
      ? (replayed: number, scanned: number, total: number) => {
          if (replayed % 50 === 0 || scanned === total)
            stderr.write(`\r${say('replayProgress', { replayed, scanned, total })}`);
        }
      : undefined;
    const report = await replayDeadLetters(this.queue, {
      ...this.connectionSettings(),
      select,
      ...(this.rate === undefined ? {} : { rate: parseWholeNumber(this.rate, '--rate') }),
      ...(progress ? { onProgress: progress } : {}),
    });
    if (progress) stderr.write('\n');
    this.context.stdout.write(say('replayDone', { ...report, queue: this.queue }) + '\n');
    return 0;
  }
}

/** `rabbitmq-arq dlq purge -q <queue> --yes`: deletes every dead letter of a queue. */
export class DlqPurgeCommand extends BrokerCommand {
  static override paths = [['dlq', 'purge']];

  static override usage = Command.Usage({
    description: 'Delete every dead-lettered job of a queue',
    examples: [['Empty default_dlq', '$0 dlq purge -q default --yes']],
  });

  queue = Option.String('-q,--queue', { required: true, description: 'Queue whose <queue>_dlq to empty' });
  yes = Option.Boolean('-y,--yes', false, { description: 'Do not ask' });

  protected async run(): Promise<number> {
    if (!(await confirm(this.context, this.yes, say('purgeDlqQuestion', { queue: this.queue })))) return 1;
    const removed = await purgeDeadLetters(this.queue, this.connectionSettings());
    this.context.stdout.write(say('dlqPurged', { removed, queue: this.queue }) + '\n');
    return 0;
  }
}
