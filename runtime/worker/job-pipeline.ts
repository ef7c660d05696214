/**
 * The life of one delivery inside the worker: decode, admit (never early, never expired, valid
 * arguments; see admission.ts), wait for a concurrency slot, tell the result store, run the handler
 * with its hooks, and hand the outcome to outcomes.ts, which settles the delivery.
 */
import { JobAborted, WorkerShutdown } from '../errors.js';
import type { RuntimeLog } from '../messages.js';
import type { ResolvedWorkerSettings } from '../settings/settings.js';
import { oneLine } from '../transport/connection.js';
import type { JobContext, JobOutcome, WorkerState } from '../types.js';
import { returnedTickRuns, tickOf } from '../schedules/schedule.js';
import { decodeJobMessage } from '../wire-format.js';
import type { JobEnvelope } from '../wire-format.js';
import { admitDelivery } from './admission.js';
import { ISOLATE_AFTER_RETURNS, cameBack, mustCountReturn, requeuedBy, returnsOf } from './crash-guard.js';
import type { IsolationLane } from './crash-guard.js';
import { AttemptAbort, AttemptContext } from './attempt-context.js';
import type { Delivery } from './delivery.js';
import type { AttemptFacts, JobRecorder } from './job-recorder.js';
import type { JobRegistry, RegisteredJob } from './job-registry.js';
import type { Outcomes } from './outcomes.js';
import { runHandler } from './run-handler.js';
import type { Semaphore } from './semaphore.js';
import type { WorkerMetrics } from './worker-metrics.js';

export interface PipelineDeps<State extends WorkerState> {
  settings: Pick<ResolvedWorkerSettings<State>, 'logger' | 'onJobStart' | 'onJobEnd' | 'queueType'>;
  state: State;
  log: RuntimeLog;
  registry: JobRegistry;
  semaphore: Semaphore;
  /** Where deliveries returned again and again run alone (crash-guard.ts). */
  lane: IsolationLane;
  metrics: WorkerMetrics;
  outcomes: Outcomes;
  recorder: () => JobRecorder | undefined;
  stopRequested: () => boolean;
  /** `jobId:jobTry` of retries this worker published; a delivery of one means it came back. */
  pendingRetries: Map<string, number>;
}

export class JobPipeline<State extends WorkerState> {
  /** Running attempts by job id, for abort requests. */
  private readonly runningJobs = new Map<string, Delivery>();

  constructor(private readonly deps: PipelineDeps<State>) {}

  /** Decode, admit (never early, never expired, valid arguments), take a slot, then run the attempt. */
  async process(delivery: Delivery): Promise<void> {
    const { message, queue } = delivery;
    const decoded = decodeJobMessage(message.content, message.properties.headers);
    if (!decoded.ok) return this.deps.outcomes.deadLetter(delivery, decoded.error, 'invalid', decoded.partial);
    const job = decoded.job;
    if (decoded.assignedJobId) this.deps.log.warn('job.assigned_id', { queue, jobId: job.jobId });
    if (this.deps.pendingRetries.size > 0) this.deps.pendingRetries.delete(`${job.jobId}:${job.jobTry}`);
    const { queueType } = this.deps.settings;
    const returns = returnsOf(message, queueType);
    if (mustCountReturn(message, queueType)) return this.deps.outcomes.countReturn(delivery, job, returns + 1);

    const registered = this.deps.registry.jobs.get(job.functionName);
    // A tick a stop gave back before it started is judged as the scheduler judges missed ticks (docs/scheduling.md).
    const givenBack =
      registered && requeuedBy(message) === 'unstarted' ? tickOf(registered.schedules, job.jobId) : undefined;
    if (givenBack && !returnedTickRuns(givenBack.schedule, givenBack.tick, new Date()))
      return this.deps.outcomes.skipTick(delivery, job, givenBack.schedule.key, givenBack.tick);
    let admission = admitDelivery(job, registered, Date.now());
    // Never early: a short remainder is waited out here (a timer may fire a millisecond before its
    // time by the wall clock, hence the loop), then the job is admitted again (it may have expired).
    while (admission.kind === 'wait') {
      for (let left = admission.due - Date.now(); left > 0; left = admission.due - Date.now()) await sleep(left);
      // A shutdown may have requeued the delivery meanwhile; any outcome published now would duplicate the job.
      if (delivery.settled) return;
      admission = admitDelivery(job, registered, Date.now());
    }
    if (admission.kind === 'dead')
      return this.deps.outcomes.deadLetter(delivery, admission.error, admission.category, job);
    if (admission.kind === 'defer') return this.deps.outcomes.deferAgain(delivery, job, admission.remaining);

    let release: () => void;
    if (returns >= ISOLATE_AFTER_RETURNS) {
      this.deps.log.warn('job.isolated', { jobId: job.jobId, functionName: job.functionName, returns });
      release = await this.deps.lane.enter();
    } else release = this.deps.semaphore.tryAcquire() ?? (await this.deps.semaphore.acquire());
    if (delivery.settled || this.deps.stopRequested()) {
      release();
      return this.deps.outcomes.requeue(delivery, job.jobId, 'shutdown');
    }
    delivery.started = true;
    const startTime = new Date();
    const attempt: AttemptFacts = { job, queue, startTime };
    delivery.attempt = attempt;
    const recorder = this.deps.recorder();
    if (recorder && (await recorder.begin(attempt)) === 'aborted') {
      release();
      return this.deps.outcomes.skipAborted(delivery, job);
    }
    if (job.jobTry === 1) {
      const since = job.deferUntil ?? job.enqueueTime;
      this.deps.metrics.observeStartLatency(job.functionName, queue, startTime.getTime() - since.getTime());
    }
    await this.runAttempt(delivery, job, registered as RegisteredJob, admission.args, release);
  }

  /** A producer aborted this job: if it runs here, its signal fires; the attempt then ends `aborted`. */
  abortRunning(jobId: string): void {
    this.runningJobs.get(jobId)?.abort?.abort(new JobAborted(`job ${jobId} was aborted on request`));
  }

  private async runAttempt(
    delivery: Delivery,
    job: JobEnvelope,
    registered: RegisteredJob,
    args: unknown,
    release: () => void,
  ): Promise<void> {
    const abort = new AttemptAbort();
    delivery.abort = abort;
    this.runningJobs.set(job.jobId, delivery);
    const ctx = new AttemptContext<State>(
      job.jobId,
      job.jobTry,
      job.functionName,
      delivery.queue,
      job.enqueueTime,
      cameBack(delivery.message),
      this.deps.state,
      abort,
      this.deps.settings.logger,
    );
    const { onJobStart, onJobEnd } = this.deps.settings;
    if (onJobStart) await this.runHook('onJobStart', () => onJobStart(ctx));
    if (this.deps.log.debugEnabled)
      this.deps.log.debug('job.start', { jobId: job.jobId, functionName: job.functionName, jobTry: job.jobTry });

    const startedAt = Date.now();
    const outcome = await runHandler(registered, ctx as unknown as JobContext, args, abort, release, this.deps.log);
    if (this.runningJobs.get(job.jobId) === delivery) this.runningJobs.delete(job.jobId);

    let end: JobOutcome;
    if (abort.aborted && abort.reason instanceof WorkerShutdown) {
      await this.deps.outcomes.requeue(delivery, job.jobId, 'shutdown');
      end = { status: 'requeued', reason: 'shutdown' };
    } else if (abort.aborted && abort.reason instanceof JobAborted) {
      end = await this.deps.outcomes.aborted(delivery, job, abort.reason);
    } else if (outcome.ok) {
      end = await this.deps.outcomes.complete(delivery, job, registered, outcome.value, Date.now() - startedAt);
    } else {
      end = await this.deps.outcomes.fail(delivery, job, registered, outcome.error);
    }
    this.deps.metrics.observeDuration(job.functionName, delivery.queue, end.status, Date.now() - startedAt);
    if (onJobEnd) await this.runHook('onJobEnd', () => onJobEnd(ctx, end));
  }

  private async runHook(hook: 'onJobStart' | 'onJobEnd', call: () => unknown): Promise<void> {
    try {
      await call();
    } catch (err) {
      this.deps.log.error('worker.hook_failed', { hook, error: oneLine(err) });
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
