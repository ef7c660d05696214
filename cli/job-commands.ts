/**
 * `rabbitmq-arq job status|result|abort <id>`: what an operator asks of one job, read straight from the
 * result store (Redis), with no broker connection. The store comes from `--result-store` or
 * `ARQ_RESULT_STORE`, the key prefix from `--result-key-prefix` or `ARQ_RESULT_KEY_PREFIX`.
 */
import { Command, Option } from 'clipanion';
import { InvalidSettings, errorCode } from '../runtime/errors.js';
import type { JobRecord } from '../runtime/results/job-record.js';
import { isFinal } from '../runtime/results/job-record.js';
import { ResultStore } from '../runtime/results/result-store.js';
import { resolveResultStore } from '../runtime/settings/settings.js';
import { parseDuration } from '../runtime/settings/parse-text.js';
import { CLI_CONNECTION_TIMEOUT_MS, reportFailure } from './command-support.js';
import { say } from './cli-messages.js';

/**
 * Exit codes shared by the job commands, so scripts can branch on them (README "Exit codes"). A store
 * that does not answer is not a job that failed: a script may retry the one and not the other.
 */
export const JOB_EXIT = { ok: 0, failed: 1, notFound: 3, stillRunning: 4, storeUnavailable: 5 } as const;

abstract class JobCommand extends Command {
  jobId = Option.String({ name: 'job-id' });
  resultStore = Option.String('--result-store', { description: 'Redis URL (default: $ARQ_RESULT_STORE)' });
  resultKeyPrefix = Option.String('--result-key-prefix', {
    description: 'Key prefix (default: $ARQ_RESULT_KEY_PREFIX, else arq:)',
  });
  json = Option.Boolean('--json', false, { description: 'Print the record as JSON' });

  async execute(): Promise<number> {
    let store: ResultStore | undefined;
    try {
      store = await this.openStore();
      return await this.run(store);
    } catch (err) {
      reportFailure(this.context.stderr, this.cli.binaryName, this.path.join(' '), err, false);
      // Anything else (a bad flag, no store given) exits 1, as in every command.
      return errorCode(err) === 'RESULT_STORE_UNAVAILABLE' ? JOB_EXIT.storeUnavailable : 1;
    } finally {
      await store?.close();
    }
  }

  protected abstract run(store: ResultStore): Promise<number>;

  protected notFound(): number {
    this.context.stderr.write(say('jobNotFound', { jobId: this.jobId }) + '\n');
    return JOB_EXIT.notFound;
  }

  protected printRecord(record: JobRecord): void {
    if (this.json) {
      this.context.stdout.write(JSON.stringify(record) + '\n');
      return;
    }
    const lines = [
      say('jobLineId', { value: record.jobId }),
      say('jobLineStatus', { value: record.status + (record.abortRequested ? ' (abort requested)' : '') }),
      say('jobLineFunction', { value: record.functionName }),
      say('jobLineQueue', { value: record.queueName }),
      say('jobLineTries', { value: record.tries }),
      say('jobLineEnqueued', { value: record.enqueueTime ?? '-' }),
    ];
    if (record.deferUntil) lines.push(say('jobLineDue', { value: record.deferUntil }));
    if (record.startTime) lines.push(say('jobLineStarted', { value: record.startTime }));
    if (record.endTime) lines.push(say('jobLineEnded', { value: record.endTime }));
    if (record.worker) lines.push(say('jobLineWorker', { value: record.worker }));
    if (record.error) lines.push(say('jobLineError', { value: describeError(record) }));
    this.context.stdout.write(lines.join('\n') + '\n');
  }

  private async openStore(): Promise<ResultStore> {
    const url = this.resultStore ?? process.env.ARQ_RESULT_STORE;
    if (!url)
      throw new InvalidSettings('no result store: give --result-store redis://host:6379 or set ARQ_RESULT_STORE');
    const keyPrefix = this.resultKeyPrefix ?? process.env.ARQ_RESULT_KEY_PREFIX;
    const settings = resolveResultStore({ resultStore: url, ...(keyPrefix ? { resultKeyPrefix: keyPrefix } : {}) });
    return ResultStore.open({ ...settings!, connectionTimeout: CLI_CONNECTION_TIMEOUT_MS });
  }
}

function describeError(record: JobRecord): string {
  const error = record.error!;
  return `${error.type}${error.code ? ` (${error.code})` : ''}: ${error.message}`;
}

/** `rabbitmq-arq job status <id>`: where the job stands, and what is known of its attempts. */
export class JobStatusCommand extends JobCommand {
  static override paths = [['job', 'status']];

  static override usage = Command.Usage({
    description: "Show a job's status and record from the result store",
    details: `
      Statuses: queued, deferred, in_progress, retrying (moving) and complete, failed, dead, aborted,
      expired (final). Exit codes: 0 found, 3 no such job (never enqueued, or its record expired),
      5 the result store did not answer.
    `,
    examples: [
      ['One job', '$0 job status 6f1c… --result-store redis://localhost:6379'],
      ['As JSON, the store from the environment', 'ARQ_RESULT_STORE=redis://localhost:6379 $0 job status 6f1c… --json'],
    ],
  });

  protected async run(store: ResultStore): Promise<number> {
    const record = await store.get(this.jobId);
    if (!record) return this.notFound();
    this.printRecord(record);
    return JOB_EXIT.ok;
  }
}

/** `rabbitmq-arq job result <id> [--wait 30s]`: the result as JSON, or the failure, waiting if asked. */
export class JobResultCommand extends JobCommand {
  static override paths = [['job', 'result']];

  static override usage = Command.Usage({
    description: "Print a job's result as JSON, waiting for it with --wait",
    details: `
      Prints the handler's return value as JSON on stdout (with --json, the whole record instead).
      Exit codes: 0 complete, 1 the job ended otherwise (failed, dead, aborted or expired; the error on
      stderr), 3 no such job, 4 not finished (after --wait, if given), 5 the result store did not answer.
    `,
    examples: [
      ['The result, if there is one yet', '$0 job result 6f1c… --result-store redis://localhost:6379'],
      ['Wait up to 30 seconds for it', '$0 job result 6f1c… --wait 30s'],
    ],
  });

  wait = Option.String('--wait', { description: 'How long to wait for the job to finish (duration)' });

  protected async run(store: ResultStore): Promise<number> {
    const wait = this.wait === undefined ? 0 : parseDuration(this.wait, '--wait');
    const now = await store.get(this.jobId);
    if (!now) return this.notFound();
    const record = isFinal(now.status) || wait === 0 ? now : ((await store.waitForFinal(this.jobId, wait)) ?? now);
    if (!isFinal(record.status)) {
      this.context.stderr.write(say('jobNotFinished', { jobId: record.jobId, status: record.status }) + '\n');
      return JOB_EXIT.stillRunning;
    }
    if (this.json) this.printRecord(record);
    if (record.status !== 'complete') {
      this.context.stderr.write(say('jobEndedWith', { status: record.status, error: describeError(record) }) + '\n');
      return JOB_EXIT.failed;
    }
    if (!this.json) this.context.stdout.write(JSON.stringify(record.result ?? null) + '\n');
    return JOB_EXIT.ok;
  }
}

/** `rabbitmq-arq job abort <id>`: stops a job that has not run, or asks the worker running it to stop. */
export class JobAbortCommand extends JobCommand {
  static override paths = [['job', 'abort']];

  static override usage = Command.Usage({
    description: 'Abort a job: it never runs, or the worker running it stops it',
    details: `
      A job not started yet is marked aborted at once; a running job's worker is asked to stop it (its
      handler's signal fires). Exit codes: 0 aborted or abort requested, 1 already finished, 3 no such job,
      5 the result store did not answer.
    `,
    examples: [['Abort one job', '$0 job abort 6f1c… --result-store redis://localhost:6379']],
  });

  protected async run(store: ResultStore): Promise<number> {
    const reply = await store.abort(this.jobId);
    if (reply === 'missing') return this.notFound();
    const record = await store.get(this.jobId);
    this.context.stdout.write(
      say(reply === 'finished' ? 'jobAlreadyFinished' : reply === 'aborted' ? 'jobAborted' : 'jobAborting', {
        jobId: this.jobId,
        status: record?.status ?? '-',
      }) + '\n',
    );
    return reply === 'finished' ? JOB_EXIT.failed : JOB_EXIT.ok;
  }
}
