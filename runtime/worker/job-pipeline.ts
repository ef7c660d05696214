/**
 * The life of one delivery inside the worker: decode, admit (never early, never expired, valid
 * arguments; see admission.ts), wait for a concurrency slot, tell the result store, run the handler
 * with its hooks, and hand the outcome to outcomes.ts, which settles the delivery.
 */
import { JobAborted, JobTimeout, WorkerShutdown, oneLine } from '../errors.js';
import type { RuntimeLog } from '../messages.js';
import type { ResolvedWorkerSettings } from '../settings/settings.js';
import type { JobOutcome, WorkerState } from '../types.js';
import { returnedTickRuns, tickOf } from '../schedules/schedule.js';
import { decodeJobMessage, replayTokenOf } from '../wire-format.js';
import type { JobEnvelope } from '../wire-format.js';
import { admitDelivery } from './admission.js';
import { ISOLATE_AFTER_RETURNS, cameBack, mustCountReturn, requeuedBy, returnsOf } from './crash-guard.js';
import type { IsolationLane } from './crash-guard.js';
import { AttemptAbort, AttemptContext } from './attempt-context.js';
import type { Delivery } from './delivery.js';
import type { AttemptFacts, JobRecorder } from './job-recorder.js';
import type { JobRegistry, RegisteredJob } from './job-registry.js';
import type { Outcomes } from './outcomes.js';
import type { PendingRetries } from './pending-retries.js';
import { callHandler, isPromiseLike } from './run-handler.js';
import type { Settled } from './run-handler.js';
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
  /** The result store's writer; `undefined` without a result store. */
  recorder: JobRecorder | undefined;
  stopRequested: () => boolean;
  /** Burst mode only: retries this worker published; a delivery of one means it came back. */
  pendingRetries: PendingRetries | undefined;
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
    this.deps.pendingRetries?.delivered(job.jobId, job.jobTry);
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

    await this.runAttempt(delivery, job, registered as RegisteredJob, admission.args, returns);
  }

  /** A producer aborted this job: if it runs here, its signal fires; the attempt then ends `aborted`. */
  abortRunning(jobId: string): void {
    this.runningJobs.get(jobId)?.abort?.abort(new JobAborted(`job ${jobId} was aborted on request`));
  }

  /**
   * Runs an admitted delivery in a concurrency slot, taken here and released by this class alone: when
   * the handler itself settles (one that ignores its signal still uses a core or a connection and must
   * not be joined by another; see `settled`), or at once when the handler never starts.
   */
  private async runAttempt(
    delivery: Delivery,
    job: JobEnvelope,
    registered: RegisteredJob,
    args: unknown,
    returns: number,
  ): Promise<void> {
    const { outcomes, metrics, log } = this.deps;
    let release: () => void;
    if (returns >= ISOLATE_AFTER_RETURNS) {
      log.warn('job.isolated', { jobId: job.jobId, functionName: job.functionName, returns });
      release = await this.deps.lane.enter();
    } else release = this.deps.semaphore.tryAcquire() ?? (await this.deps.semaphore.acquire());
    let running: Settled | PromiseLike<Settled> | undefined;
    const abort = new AttemptAbort();
    let ctx: AttemptContext<State>;
    try {
      if (delivery.settled || this.deps.stopRequested()) return outcomes.requeue(delivery, job.jobId, 'shutdown');
      delivery.started = true;
      const { message, queue } = delivery;
      const startTime = new Date();
      const attempt: AttemptFacts = { job, queue, startTime, replay: replayTokenOf(message.properties.headers) };
      delivery.attempt = attempt;
      // The store may say the job must not run: aborted before it started, or already final.
      const begun = this.deps.recorder ? await this.deps.recorder.begin(attempt) : 'run';
      if (begun === 'aborted') return outcomes.skipAborted(delivery, job);
      if (begun === 'final') return outcomes.skipFinal(delivery, job);
      if (job.jobTry === 1) {
        const since = job.deferUntil ?? job.enqueueTime;
        metrics.observeStartLatency(job.functionName, queue, startTime.getTime() - since.getTime());
      }
      delivery.abort = abort;
      this.runningJobs.set(job.jobId, delivery);
      ctx = new AttemptContext<State>(
        job.jobId,
        job.jobTry,
        job.functionName,
        queue,
        job.enqueueTime,
        cameBack(message),
        this.deps.state,
        abort,
        this.deps.settings.logger,
      );
      const { onJobStart } = this.deps.settings;
      if (onJobStart) await this.runHook('onJobStart', () => onJobStart(ctx));
      if (log.debugEnabled)
        log.debug('job.start', { jobId: job.jobId, functionName: job.functionName, jobTry: job.jobTry });
      // Aborted (shutdown, abort request) while onJobStart ran: the handler never starts.
      if (!abort.aborted) running = callHandler(registered, ctx, args);
    } finally {
      if (running === undefined) release();
    }

    const startedAt = Date.now();
    const outcome = await this.settled(running, release, abort, registered.timeout, job.jobId);
    if (this.runningJobs.get(job.jobId) === delivery) this.runningJobs.delete(job.jobId);

    let end: JobOutcome;
    if (abort.aborted && abort.reason instanceof WorkerShutdown) {
      await outcomes.requeue(delivery, job.jobId, 'shutdown');
      end = { status: 'requeued', reason: 'shutdown' };
    } else if (abort.aborted && abort.reason instanceof JobAborted) {
      end = await outcomes.aborted(delivery, job, abort.reason);
    } else if (outcome.ok) {
      end = await outcomes.complete(delivery, job, registered, outcome.value, Date.now() - startedAt);
    } else {
      end = await outcomes.fail(delivery, job, registered, outcome.error);
    }
    metrics.observeDuration(job.functionName, delivery.queue, end.status, Date.now() - startedAt);
    const { onJobEnd } = this.deps.settings;
    if (onJobEnd) await this.runHook('onJobEnd', () => onJobEnd(ctx, end));
  }

  /**
   * What the attempt ended with: the handler's settlement, or the abort's reason as soon as the attempt
   * is aborted (its timeout, a shutdown, an abort request). Releases the slot when the handler itself
   * settles, which may be after the abort; a late result is then dropped.
   */
  private settled(
    running: Settled | PromiseLike<Settled> | undefined,
    release: () => void,
    abort: AttemptAbort,
    timeout: number,
    jobId: string,
  ): Settled | Promise<Settled> {
    if (running === undefined) return { ok: false, error: abort.reason };
    if (!isPromiseLike(running)) {
      // A synchronous handler: settled already, nothing to time out.
      release();
      return running;
    }
    return new Promise<Settled>((resolve) => {
      const timer = setTimeout(() => abort.abort(new JobTimeout(timeout)), timeout);
      abort.onAbort = () => {
        clearTimeout(timer);
        resolve({ ok: false, error: abort.reason });
      };
      running.then((result) => {
        release();
        clearTimeout(timer);
        if (abort.aborted) this.deps.log.debug('job.late_result', { jobId });
        else resolve(result);
      });
    });
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
