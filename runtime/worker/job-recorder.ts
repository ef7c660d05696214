/**
 * The worker's side of the result store: records each attempt's start and end, and hears abort
 * requests. Results are worth less than jobs: while Redis is away every call gives up at once, the
 * job goes on, and the outage is logged once (and its end once), not once per job.
 */
import { oneLine } from '../errors.js';
import type { RuntimeLog } from '../messages.js';
import { ResultStore } from '../results/result-store.js';
import type { JobRecord, JobStatus } from '../results/job-record.js';
import { storedError } from '../results/job-record.js';
import type { BeginReply } from '../results/result-store.js';
import type { ResolvedResultStoreSettings } from '../settings/settings.js';
import type { JobEnvelope } from '../wire-format.js';

export interface AttemptFacts {
  job: JobEnvelope;
  queue: string;
  /** `null` for a job dead-lettered before any attempt started (invalid, expired). */
  startTime: Date | null;
  /** The replay token of a replayed dead letter (wire-format.ts, `x-arq-replay`). */
  replay?: string | undefined;
}

/** How long writes must go through without a failure before a store that failed counts as back (ms). */
const QUIET_MS = 5_000;

export class JobRecorder {
  private down = false;
  private lastFailure = 0;

  private constructor(
    private readonly store: ResultStore,
    private readonly worker: string,
    private readonly log: RuntimeLog,
  ) {
    store.watch(
      (reason) => this.wentDown(reason),
      () => this.cameBack(),
    );
  }

  /** Connects without waiting for Redis to answer: a worker starts and runs jobs without its results. */
  static async open(
    settings: ResolvedResultStoreSettings,
    connectionTimeout: number,
    worker: string,
    log: RuntimeLog,
  ): Promise<JobRecorder> {
    const store = await ResultStore.open({ ...settings, connectionTimeout }, false);
    const recorder = new JobRecorder(store, worker, log);
    if (!store.ready) recorder.wentDown('no answer at startup');
    return recorder;
  }

  /** Calls `onAbort(jobId)` when a producer aborts a running job. */
  async listenForAborts(onAbort: (jobId: string) => void): Promise<void> {
    await this.store.onAbortRequest(onAbort);
  }

  /**
   * Marks the attempt in progress; `aborted` when the job was aborted before it started, `final` when
   * it already ended (a redelivery after a lost ack): then it must not run. `run` while Redis is away.
   */
  async begin(attempt: AttemptFacts): Promise<BeginReply> {
    const record = this.record(attempt, 'in_progress', null);
    try {
      const reply = await this.store.begin(record);
      this.wrote();
      return reply;
    } catch (err) {
      this.wentDown(oneLine(err));
      return 'run';
    }
  }

  /** Records how the attempt ended. Never throws: a lost record must not cost the job its outcome. */
  async finish(
    attempt: AttemptFacts,
    status: JobStatus,
    outcome: { result?: unknown; error?: unknown; deferUntil?: Date },
  ): Promise<void> {
    const record = this.record(attempt, status, new Date());
    if (status === 'complete') record.result = outcome.result;
    if (outcome.error !== undefined) record.error = storedError(outcome.error);
    if (outcome.deferUntil) record.deferUntil = outcome.deferUntil.toISOString();
    try {
      await this.store.finish(record);
      this.wrote();
    } catch (err) {
      this.wentDown(oneLine(err));
    }
  }

  close(): Promise<void> {
    return this.store.close();
  }

  private record(attempt: AttemptFacts, status: JobStatus, endTime: Date | null): JobRecord {
    const { job, queue, startTime, replay } = attempt;
    const record: JobRecord = {
      jobId: job.jobId,
      status,
      functionName: job.functionName,
      queueName: queue,
      tries: job.jobTry,
      enqueueTime: job.enqueueTime.toISOString(),
      deferUntil: null,
      startTime: startTime?.toISOString() ?? null,
      endTime: endTime?.toISOString() ?? null,
      worker: this.worker,
      error: null,
    };
    if (replay !== undefined) record.replay = replay;
    return record;
  }

  private wentDown(reason: string): void {
    this.lastFailure = Date.now();
    if (this.down) return;
    this.down = true;
    this.log.warn('results.unavailable', { url: this.store.displayUrl, reason });
  }

  /**
   * A write went through. A cluster stays 'ready' while one of its masters is away, so there only
   * writes tell that the store is back; as writes to the slots of live masters go through meanwhile,
   * it counts as back once writes have gone through for `QUIET_MS` without a failure.
   */
  private wrote(): void {
    if (this.down && Date.now() - this.lastFailure >= QUIET_MS) this.cameBack();
  }

  private cameBack(): void {
    if (!this.down) return;
    this.down = false;
    this.log.info('results.recovered', { url: this.store.displayUrl });
  }
}
