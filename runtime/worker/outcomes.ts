/**
 * How an admitted or finished delivery ends: complete (recorded, acked), retried or re-deferred
 * (successor published with a confirm, then acked), dead-lettered (likewise), aborted (acked), or
 * requeued. The ack always follows the confirmed successor, so a crash in between duplicates a job
 * at worst and never loses one; a successor that cannot be published sends the delivery back.
 */
import { z as zod } from 'zod';
import type { z } from 'zod';
import { DeliveryLimitExceeded, InvalidJobResult, JobExpired, type JobAborted, oneLine } from '../errors.js';
import type { RuntimeLog } from '../messages.js';
import type { JobStatus } from '../results/job-record.js';
import type { ResolvedWorkerSettings } from '../settings/settings.js';
import type { ConfirmPublisher, OutgoingMessage } from '../transport/confirm-publisher.js';
import type { DeadLetterCategory, JobOutcome } from '../types.js';
import type { JobEnvelope } from '../wire-format.js';
import { CLASSIC_RETURN_LIMIT, requeueMark, returnsToCarry } from './crash-guard.js';
import { ack, nack, onLiveChannel } from './delivery.js';
import type { Delivery } from './delivery.js';
import type { JobRecorder } from './job-recorder.js';
import type { RegisteredJob } from './job-registry.js';
import {
  countedReturnMessage,
  deadLetterMessage,
  redeferMessage,
  retryMessage,
  stopRequeueMessage,
} from './outcome-messages.js';
import type { PendingRetries } from './pending-retries.js';
import { decideFailure } from './retry-policy.js';
import type { WorkerMetrics } from './worker-metrics.js';

/** Result-store status of a dead-lettered job, by why it was dead-lettered. */
const DEAD_LETTER_STATUS: Record<DeadLetterCategory, JobStatus> = {
  retriable: 'failed',
  non_retriable: 'failed',
  expired: 'expired',
  aborted: 'aborted',
  invalid: 'dead',
  unknown_job: 'dead',
};

export type CheckedResult =
  { success: true; data: unknown } | { success: false; issues: readonly z.core.$ZodIssue[]; thrown?: string };

/**
 * Checks a handler's result against its schema and encodes it for the store (`isoDate`: `Date` →
 * ISO string), catching what a user's schema throws (Zod does not catch exceptions inside a
 * refinement; an async schema throws when run synchronously), which would otherwise requeue the
 * delivery in a hot loop. A schema with a one-way transform cannot encode: its parse output is kept.
 */
export function checkResult(schema: z.ZodType, value: unknown): CheckedResult {
  try {
    const result = zod.safeEncode(schema, value as never);
    return result.success ? { success: true, data: result.data } : { success: false, issues: result.error.issues };
  } catch (encodeError) {
    try {
      const result = schema.safeParse(value);
      return result.success ? { success: true, data: result.data } : { success: false, issues: result.error.issues };
    } catch (err) {
      return { success: false, issues: [], thrown: `the schema threw: ${oneLine(err ?? encodeError)}` };
    }
  }
}

export interface OutcomeDeps {
  settings: Pick<
    ResolvedWorkerSettings,
    'delayPrefix' | 'outcomePublishTimeout' | 'retryBackoff' | 'retryBackoffMax' | 'queueType'
  >;
  log: RuntimeLog;
  metrics: WorkerMetrics;
  /** Publishes retries, re-deferrals and dead letters, each confirmed before the delivery is acked. */
  publisher: ConfirmPublisher;
  /** The result store's writer; `undefined` without a result store. */
  recorder: JobRecorder | undefined;
  /** Burst mode only: the retries it waits to see again. */
  pendingRetries: PendingRetries | undefined;
}

export class Outcomes {
  /**
   * Requeues on their way. The stop starts them while the delivery's pipeline may still be waiting (for a
   * slot, a due time); whatever the pipeline does next waits for the requeue, so its promise, which the
   * worker waits for, does not end before the requeue is confirmed and acked.
   */
  private readonly requeues = new WeakMap<Delivery, Promise<boolean>>();

  constructor(private readonly deps: OutcomeDeps) {}

  async complete(
    delivery: Delivery,
    job: JobEnvelope,
    registered: RegisteredJob,
    value: unknown,
    ms: number,
  ): Promise<JobOutcome> {
    const { metrics, log } = this.deps;
    let stored = value;
    if (registered.result) {
      const checked = checkResult(registered.result, value);
      if (!checked.success) {
        const error = new InvalidJobResult(job.functionName, checked.issues, checked.thrown);
        metrics.count('failed', job.functionName, delivery.queue);
        await this.deadLetter(delivery, error, 'non_retriable', job);
        return { status: 'dead', error, category: 'non_retriable' };
      }
      stored = checked.data;
    }
    // Recorded before the ack: a crash in between reruns the job rather than leaving it in progress forever.
    const recorder = this.deps.recorder;
    if (recorder && delivery.attempt) await recorder.finish(delivery.attempt, 'complete', { result: stored });
    ack(delivery);
    metrics.count('completed', job.functionName, delivery.queue);
    if (log.debugEnabled) log.debug('job.complete', { jobId: job.jobId, functionName: job.functionName, ms });
    return { status: 'complete', result: value };
  }

  async fail(delivery: Delivery, job: JobEnvelope, registered: RegisteredJob, error: unknown): Promise<JobOutcome> {
    this.deps.metrics.count('failed', job.functionName, delivery.queue);
    const decision = decideFailure(
      { error, jobTry: job.jobTry, maxRetries: registered.maxRetries, expires: job.expires, now: Date.now() },
      this.deps.settings,
    );
    if (decision.kind === 'dead') {
      await this.deadLetter(delivery, decision.error, decision.category, job);
      return { status: 'dead', error: decision.error, category: decision.category };
    }
    await this.retry(delivery, job, decision.delay, error);
    return { status: 'retry', error, delay: decision.delay };
  }

  /** Aborted on request while running: acked (not retried, not dead-lettered) and recorded as aborted. */
  async aborted(delivery: Delivery, job: JobEnvelope, error: JobAborted): Promise<JobOutcome> {
    if (delivery.attempt) await this.deps.recorder?.finish(delivery.attempt, 'aborted', { error });
    ack(delivery);
    this.countAborted(job, delivery.queue, 'while it ran');
    return { status: 'aborted', error };
  }

  /** Aborted before it ran (the store said so as the attempt began): acked, never run. */
  skipAborted(delivery: Delivery, job: JobEnvelope): void {
    ack(delivery);
    this.countAborted(job, delivery.queue, 'before it ran');
  }

  /**
   * The job already ended (its record is final): this delivery is a redelivery after its worker
   * wrote the outcome and died before the ack. Acked, never run again; the record stays as it is.
   */
  skipFinal(delivery: Delivery, job: JobEnvelope): void {
    ack(delivery);
    this.deps.metrics.count('alreadyFinal', job.functionName, delivery.queue);
    if (this.deps.log.debugEnabled)
      this.deps.log.debug('job.already_final', { jobId: job.jobId, functionName: job.functionName });
  }

  /** Sends an early delivery back through the delay ladder, unchanged. */
  async deferAgain(delivery: Delivery, job: JobEnvelope, remaining: number): Promise<void> {
    const message = redeferMessage(delivery, job.jobId, remaining, this.deps.settings.delayPrefix);
    if (await this.publishSuccessor(delivery, job.jobId, message))
      this.deps.log.debug('job.deferred', { jobId: job.jobId, early: remaining });
  }

  async deadLetter(
    delivery: Delivery,
    error: unknown,
    category: DeadLetterCategory,
    job: Partial<JobEnvelope>,
  ): Promise<void> {
    const { metrics, log } = this.deps;
    const facts = { error, category, jobId: job.jobId, jobTry: job.jobTry, failedAt: new Date() };
    const message = deadLetterMessage(delivery, facts);
    if (!(await this.publishSuccessor(delivery, job.jobId, message))) return;
    const functionName = job.functionName ?? '?';
    metrics.count('deadLettered', functionName, delivery.queue);
    if (category === 'expired') metrics.count('expired', functionName, delivery.queue);
    const recorder = this.deps.recorder;
    if (recorder && job.jobId && job.functionName && job.enqueueTime && job.jobTry) {
      const attempt = delivery.attempt ?? { job: job as JobEnvelope, queue: delivery.queue, startTime: null };
      await recorder.finish(attempt, DEAD_LETTER_STATUS[category], { error });
    }
    log.warn('job.dead_lettered', {
      jobId: job.jobId ?? '?',
      functionName,
      dlq: message.routingKey,
      category,
      error: oneLine(error),
    });
  }

  /**
   * A classic-queue delivery that came back without an outcome: counted and sent to the end of its
   * queue, or dead-lettered once it came back more often than the limit (crash-guard.ts).
   */
  async countReturn(delivery: Delivery, job: JobEnvelope, returns: number): Promise<void> {
    if (returns > CLASSIC_RETURN_LIMIT)
      return this.deadLetter(delivery, new DeliveryLimitExceeded(returns), 'non_retriable', job);
    if (await this.publishSuccessor(delivery, job.jobId, countedReturnMessage(delivery, job.jobId, returns)))
      this.deps.log.debug('job.return_counted', { jobId: job.jobId, returns });
  }

  /**
   * Back to its queue, using no attempt, given back by a stopping worker: published again with its
   * returns unchanged and the stop's mark, then acked (crash-guard.ts), since the broker would count a
   * nack as a return. It settles by itself; if the publish fails it is nacked after all.
   */
  async requeue(delivery: Delivery, jobId: string, reason: string): Promise<void> {
    const inFlight = this.requeues.get(delivery);
    if (inFlight) return void (await inFlight);
    if (delivery.settled || delivery.publishing) return;
    const { message: delivered } = delivery;
    const returns = returnsToCarry(delivered, this.deps.settings.queueType);
    const sending = this.publishSuccessor(
      delivery,
      jobId,
      stopRequeueMessage(delivery, jobId, returns, requeueMark(delivered, delivery.started)),
    );
    this.requeues.set(delivery, sending);
    if (await sending) this.deps.log.debug('job.requeued', { jobId, reason });
  }

  /** A tick a stop gave back that is now too late by the catch-up rule: acked unrun, and recorded as expired. */
  async skipTick(delivery: Delivery, job: JobEnvelope, schedule: string, tick: Date): Promise<void> {
    const late = Date.now() - tick.getTime();
    const recorder = this.deps.recorder;
    if (recorder) {
      const error = new JobExpired(
        `tick ${tick.toISOString()} came back ${late} ms late; skipped by the catch-up rule`,
      );
      await recorder.finish({ job, queue: delivery.queue, startTime: null }, 'expired', { error });
    }
    ack(delivery);
    this.deps.log.info('scheduler.tick_skipped', { jobId: job.jobId, schedule, tick: tick.toISOString(), late });
  }

  private async retry(delivery: Delivery, job: JobEnvelope, delay: number, error: unknown): Promise<void> {
    const { settings, metrics, log, pendingRetries } = this.deps;
    const retry = retryMessage(job, delivery, delay, settings.delayPrefix, Date.now());
    if (!(await this.publishSuccessor(delivery, job.jobId, retry.message))) return;
    pendingRetries?.published(job.jobId, retry.jobTry, retry.due, Date.now());
    metrics.count('retried', job.functionName, delivery.queue);
    const recorder = this.deps.recorder;
    if (recorder && delivery.attempt)
      await recorder.finish(delivery.attempt, 'retrying', { error, deferUntil: new Date(retry.due) });
    log.info('job.retry', {
      jobId: job.jobId,
      functionName: job.functionName,
      jobTry: job.jobTry,
      delay,
      error: oneLine(error),
    });
  }

  private countAborted(job: JobEnvelope, queue: string, when: 'before it ran' | 'while it ran'): void {
    this.deps.metrics.count('aborted', job.functionName, queue);
    this.deps.log.info('job.aborted', { jobId: job.jobId, functionName: job.functionName, when });
  }

  /** Publishes the message that replaces the delivery, then acks it; on failure the delivery is requeued. */
  private async publishSuccessor(
    delivery: Delivery,
    jobId: string | undefined,
    outgoing: OutgoingMessage,
  ): Promise<boolean> {
    // Already requeued (shutdown), or a successor is on its way: another one would put the job in two places.
    const requeue = this.requeues.get(delivery);
    if (requeue) {
      await requeue;
      return false;
    }
    if (delivery.settled || delivery.publishing) return false;
    // From here on the delivery settles by itself (ack on confirm, nack on failure); shutdown leaves it be.
    delivery.publishing = true;
    const live = (): boolean => onLiveChannel(delivery);
    try {
      // Checked as the successor is written: a delivery whose channel closed is back in its queue.
      await this.deps.publisher.publish(outgoing, Date.now() + this.deps.settings.outcomePublishTimeout, live);
    } catch (err) {
      if (live()) this.deps.log.error('job.outcome_unpublished', { jobId: jobId ?? '?', error: oneLine(err) });
      else this.deps.log.info('job.outcome_dropped', { jobId: jobId ?? '?' });
      nack(delivery);
      return false;
    }
    ack(delivery);
    return true;
  }
}
