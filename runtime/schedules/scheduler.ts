/**
 * Fires each schedule's ticks exactly once however many workers run (docs/scheduling.md). The
 * workers that share a schedule set share a lease: a classic queue with single-active-consumer, on
 * which every worker consumes and to which every worker adds a token message when it (re)connects.
 * The broker delivers to one consumer at a time, so whichever worker holds a token is the leader;
 * when it dies or loses its connection, its tokens go back and the broker activates the next one.
 *
 * The token's body is the lease's state: the last tick fired per schedule. The leader publishes a
 * tick's job and the new state in the same event-loop step (one socket write), awaits both confirms,
 * then acks the tokens it held, so a successor reads the last tick fired and neither skips nor
 * repeats one (a broker crash at that instant may repeat it: see the doc).
 */
import { createHash } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import type { AmqpConfirmChannel } from '../transport/amqp-model.js';
import type { RuntimeLog } from '../messages.js';
import type { ConfirmPublisher } from '../transport/confirm-publisher.js';
import type { BrokerConnection, ManagedChannel } from '../transport/connection.js';
import { oneLine } from '../errors.js';
import { encodeJobBody, jobPublishOptions } from '../wire-format.js';
import type { JobEnvelope } from '../wire-format.js';
import type { CompiledSchedule } from './schedule.js';
import { dueTicks, tickJobId } from './schedule.js';

/** Longest sleep between checks, so a clock jump is noticed within a minute. */
const MAX_SLEEP_MS = 60_000;
const PUBLISH_TIMEOUT_MS = 30_000;

type LeaseState = Record<string, string>;

/** The lease queue of a schedule set: workers running the same schedules share it, others do not. */
export function leaseQueueName(
  prefix: string,
  schedules: readonly CompiledSchedule[],
  queueOf: (job: string) => string,
): string {
  const identity = schedules
    .map((s) => JSON.stringify([queueOf(s.job), s.key, s.cron, s.tz, s.args, s.catchUp]))
    .sort()
    .join('\n');
  return `${prefix}.scheduler.${createHash('sha256').update(identity).digest('hex').slice(0, 12)}`;
}

export interface SchedulerDeps {
  connection: BrokerConnection;
  publisher: ConfirmPublisher;
  schedules: readonly CompiledSchedule[];
  queueOf(job: string): string;
  delayPrefix: string;
  log: RuntimeLog;
}

export class Scheduler {
  readonly leaseQueue: string;
  private channel: ManagedChannel<AmqpConfirmChannel> | undefined;
  /** Token deliveries held on the live channel; non-empty means this worker leads. */
  private held: ConsumeMessage[] = [];
  private heldOn: AmqpConfirmChannel | undefined;
  private state: LeaseState = {};
  private timer: NodeJS.Timeout | undefined;
  private firing: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly deps: SchedulerDeps) {
    this.leaseQueue = leaseQueueName(deps.delayPrefix, deps.schedules, deps.queueOf);
  }

  get leading(): boolean {
    return this.held.length > 0;
  }

  start(): void {
    this.channel = this.deps.connection.confirmChannel('scheduler', (channel) => this.join(channel));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.firing?.catch(() => undefined);
    // Closing the channel returns the tokens; the broker hands the lease to the next worker.
    await this.channel?.close();
  }

  private async join(channel: AmqpConfirmChannel): Promise<void> {
    await channel.assertQueue(this.leaseQueue, {
      durable: true,
      arguments: { 'x-queue-type': 'classic', 'x-single-active-consumer': true },
    });
    // A token of our own, so the lease exists even if every earlier one is gone; the leader folds extras in.
    channel.sendToQueue(this.leaseQueue, Buffer.from('{}'), { persistent: true, contentType: 'application/json' });
    await channel.waitForConfirms();
    channel.once('close', () => this.lose(channel));
    await channel.consume(this.leaseQueue, (message) => message && this.receive(channel, message), { noAck: false });
  }

  private receive(channel: AmqpConfirmChannel, message: ConsumeMessage): void {
    if (this.heldOn !== channel) {
      this.held = [];
      this.heldOn = channel;
    }
    const wasLeading = this.leading;
    this.held.push(message);
    try {
      const carried = JSON.parse(message.content.toString('utf8')) as LeaseState;
      for (const [key, iso] of Object.entries(carried))
        if (typeof iso === 'string' && !(this.state[key] && this.state[key] >= iso)) this.state[key] = iso;
    } catch {
      // A token that is not ours to read still holds the lease; its state is ignored.
    }
    if (!wasLeading) {
      // A schedule no token knows (new, or its lease was deleted) starts now, without catching up.
      const now = new Date().toISOString();
      for (const schedule of this.deps.schedules) this.state[schedule.key] ??= now;
      this.deps.log.info('scheduler.leading', { lease: this.leaseQueue, schedules: this.deps.schedules.length });
      this.wake(0);
    }
  }

  private lose(channel: AmqpConfirmChannel): void {
    if (this.heldOn !== channel) return;
    const was = this.leading;
    this.held = [];
    this.heldOn = undefined;
    clearTimeout(this.timer);
    if (was && !this.stopped) this.deps.log.warn('scheduler.lease_lost', { lease: this.leaseQueue });
  }

  private wake(ms: number): void {
    clearTimeout(this.timer);
    if (this.stopped || !this.leading) return;
    this.timer = setTimeout(() => {
      this.firing = this.fireDue().finally(() => (this.firing = undefined));
    }, ms);
  }

  private async fireDue(): Promise<void> {
    const channel = this.heldOn;
    if (!channel || !this.leading || this.stopped) return;
    const now = new Date();
    const jobs: Array<Promise<void>> = [];
    const next: LeaseState = { ...this.state };
    for (const schedule of this.deps.schedules) {
      const last = this.state[schedule.key];
      for (const tick of dueTicks(schedule, last ? new Date(last) : undefined, now)) {
        jobs.push(this.publishTick(schedule, tick, now));
        next[schedule.key] = tick.toISOString();
      }
    }
    if (jobs.length > 0) {
      // The ticks' jobs and the lease's new state leave in the same socket write (no await in between).
      const tokens = [...this.held];
      channel.sendToQueue(this.leaseQueue, Buffer.from(JSON.stringify(next)), {
        persistent: true,
        contentType: 'application/json',
      });
      try {
        await Promise.all([...jobs, channel.waitForConfirms()]);
        this.state = next;
        for (const token of tokens) channel.ack(token);
        this.held = this.held.filter((token) => !tokens.includes(token));
      } catch (err) {
        this.deps.log.error('scheduler.fire_failed', { lease: this.leaseQueue, error: oneLine(err) });
      }
    }
    this.wake(this.sleepFor());
  }

  private publishTick(schedule: CompiledSchedule, tick: Date, now: Date): Promise<void> {
    const queue = this.deps.queueOf(schedule.job);
    const job: JobEnvelope = {
      jobId: tickJobId(schedule, tick),
      functionName: schedule.job,
      args: [],
      kwargs: schedule.args,
      jobTry: 1,
      enqueueTime: now,
      queueName: queue,
      deferUntil: null,
      expires: null,
    };
    if (this.deps.log.debugEnabled)
      this.deps.log.debug('scheduler.fired', {
        jobId: job.jobId,
        functionName: schedule.job,
        tick: tick.toISOString(),
      });
    return this.deps.publisher.publish(
      {
        exchange: '',
        routingKey: queue,
        body: encodeJobBody(job),
        options: jobPublishOptions(job) as Parameters<ConfirmPublisher['publish']>[0]['options'],
      },
      Date.now() + PUBLISH_TIMEOUT_MS,
    );
  }

  /** Until the earliest next tick of any schedule (the lease may have held ticks back: at most a minute). */
  private sleepFor(): number {
    const now = new Date();
    let earliest = Number.POSITIVE_INFINITY;
    for (const schedule of this.deps.schedules) {
      const last = this.state[schedule.key];
      const after = last && new Date(last) > now ? new Date(last) : now;
      const tick = schedule.next(after);
      if (tick) earliest = Math.min(earliest, tick.getTime());
    }
    return Math.max(0, Math.min(MAX_SLEEP_MS, earliest - now.getTime()));
  }
}
