/**
 * Fires each schedule's ticks exactly once however many workers run (docs/scheduling.md). Each
 * schedule has its own lease, named after its job and schedule name: a classic queue with
 * single-active-consumer, on which every worker that runs the schedule consumes and to which it adds
 * a token message when it (re)connects. The broker delivers to one consumer at a time, so whichever
 * worker holds a lease's tokens fires that schedule; when it dies, stops or loses its connection,
 * its tokens go back and the broker activates the next consumer. Workers of another version (a
 * rolling deploy) share the lease of every schedule they have in common, whatever else differs.
 *
 * A token's body is the lease's state: the last tick fired and the definition (queue, cron, zone,
 * arguments) that fired it. The leader publishes a tick's job and the new state in the same
 * event-loop step (one socket write), awaits both confirms, then acks the tokens it held, so a
 * successor reads the last tick fired and neither skips nor repeats one (a broker crash at that
 * instant may repeat it: see the doc). A successor with another definition continues after that
 * tick but catches nothing up: the ticks it would catch up were the old definition's.
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
import { MISFIRE_GRACE_MS, dueTicks, tickJobId } from './schedule.js';

/** Longest sleep between checks, so a clock jump is noticed within a minute. */
const MAX_SLEEP_MS = 60_000;
const PUBLISH_TIMEOUT_MS = 30_000;
/** A lease no worker consumed for this long (its schedule was removed everywhere) is deleted by the broker. */
export const LEASE_EXPIRES_MS = 30 * 24 * 3600 * 1000;
/** AMQP's limit on a queue name, in bytes. */
const MAX_QUEUE_NAME_BYTES = 255;

/** What a token carries; `{}` (a joining worker's token) carries nothing. */
interface LeaseToken {
  /** `scheduleDefinition` of the schedule that fired `lastTick`. */
  definition?: string;
  /** ISO-8601 time of the last tick fired. */
  lastTick?: string;
}

/** The lease queue of one schedule: every worker that runs a schedule of this job and name shares it. */
export function leaseQueueName(prefix: string, schedule: Pick<CompiledSchedule, 'key'>): string {
  const readable = `${prefix}.scheduler.${schedule.key}`;
  if (Buffer.byteLength(readable) <= MAX_QUEUE_NAME_BYTES) return readable;
  return `${prefix}.scheduler.${createHash('sha256').update(schedule.key).digest('hex').slice(0, 32)}`;
}

/** What a schedule's ticks are: two workers with the same key but another definition run a changed schedule. */
export function scheduleDefinition(schedule: CompiledSchedule, queue: string): string {
  const identity = JSON.stringify([queue, schedule.cron, schedule.tz, schedule.args, schedule.catchUp]);
  return createHash('sha256').update(identity).digest('hex').slice(0, 12);
}

export interface SchedulerDeps {
  connection: BrokerConnection;
  publisher: ConfirmPublisher;
  schedules: readonly CompiledSchedule[];
  queueOf(job: string): string;
  delayPrefix: string;
  log: RuntimeLog;
}

/** One schedule's lease as this worker sees it. */
interface Lease {
  readonly schedule: CompiledSchedule;
  readonly queue: string;
  readonly definition: string;
  /**
   * Set by the first token delivered on the live channel: the broker made this worker the lease's active
   * consumer, which it stays until its channel closes. Not `held.length > 0`: between the ack of the old
   * tokens and the delivery of the new one this worker holds none and still leads.
   */
  leader: boolean;
  /** Token deliveries held on the live channel. */
  held: ConsumeMessage[];
  /** The newest state read from a token or written by this worker. */
  lastTick: string | undefined;
  firedBy: string | undefined;
  /** Just took the lease: its first fire decides where the schedule continues. */
  takingOver: boolean;
}

export class Scheduler {
  private readonly leases: Lease[];
  private channel: ManagedChannel<AmqpConfirmChannel> | undefined;
  /** The channel the held tokens were delivered on. */
  private heldOn: AmqpConfirmChannel | undefined;
  private timer: NodeJS.Timeout | undefined;
  private firing: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly deps: SchedulerDeps) {
    this.leases = deps.schedules.map((schedule) => ({
      schedule,
      queue: leaseQueueName(deps.delayPrefix, schedule),
      definition: scheduleDefinition(schedule, deps.queueOf(schedule.job)),
      leader: false,
      held: [],
      lastTick: undefined,
      firedBy: undefined,
      takingOver: false,
    }));
  }

  /** The lease queues of this worker's schedules. */
  get leaseQueues(): string[] {
    return this.leases.map((lease) => lease.queue);
  }

  /** Whether this worker fires at least one schedule. */
  get leading(): boolean {
    return this.leases.some((lease) => lease.leader);
  }

  start(): void {
    this.channel = this.deps.connection.confirmChannel('scheduler', (channel) => this.join(channel));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.firing?.catch(() => undefined);
    // Closing the channel returns the tokens; the broker hands each lease to the next worker.
    await this.channel?.close();
  }

  private async join(channel: AmqpConfirmChannel): Promise<void> {
    for (const lease of this.leases) {
      await channel.assertQueue(lease.queue, {
        durable: true,
        arguments: {
          'x-queue-type': 'classic',
          'x-single-active-consumer': true,
          'x-expires': LEASE_EXPIRES_MS,
        },
      });
      // A token of our own, so the lease exists even if every earlier one is gone; the leader folds extras in.
      channel.sendToQueue(lease.queue, Buffer.from('{}'), { persistent: true, contentType: 'application/json' });
    }
    await channel.waitForConfirms();
    channel.once('close', () => this.lose(channel));
    for (const lease of this.leases)
      await channel.consume(lease.queue, (message) => message && this.receive(channel, lease, message), {
        noAck: false,
      });
  }

  private receive(channel: AmqpConfirmChannel, lease: Lease, message: ConsumeMessage): void {
    if (this.heldOn !== channel) {
      for (const each of this.leases) {
        each.held = [];
        each.leader = false;
      }
      this.heldOn = channel;
    }
    lease.held.push(message);
    const token = readToken(message.content);
    if (token.lastTick && !(lease.lastTick && lease.lastTick >= token.lastTick)) {
      lease.lastTick = token.lastTick;
      lease.firedBy = token.definition;
    }
    if (!lease.leader) {
      lease.leader = true;
      // The rest of the tokens usually arrive in the same read; the first fire, a turn later, sees them all.
      lease.takingOver = true;
      this.deps.log.info('scheduler.leading', { schedule: lease.schedule.key, lease: lease.queue });
      this.wake(0);
    }
  }

  private lose(channel: AmqpConfirmChannel): void {
    if (this.heldOn !== channel) return;
    this.heldOn = undefined;
    clearTimeout(this.timer);
    for (const lease of this.leases) {
      const was = lease.leader;
      lease.leader = false;
      lease.held = [];
      lease.takingOver = false;
      if (was && !this.stopped) this.deps.log.warn('scheduler.lease_lost', { lease: lease.queue });
    }
  }

  /** Where a schedule continues when this worker takes its lease. */
  private takeOver(lease: Lease, now: Date): void {
    lease.takingOver = false;
    // Never fired (a new schedule, or its lease expired): it starts now, with no catching up.
    if (!lease.lastTick) {
      lease.lastTick = now.toISOString();
      lease.firedBy = lease.definition;
    } else if (lease.firedBy !== lease.definition) {
      // Changed since its last tick: the ticks after it still run within the grace, none older is caught up.
      const graceStart = new Date(now.getTime() - MISFIRE_GRACE_MS).toISOString();
      this.deps.log.info('scheduler.definition_changed', { schedule: lease.schedule.key, lastTick: lease.lastTick });
      if (lease.lastTick < graceStart) lease.lastTick = graceStart;
      lease.firedBy = lease.definition;
    }
  }

  private wake(ms: number): void {
    clearTimeout(this.timer);
    if (this.stopped || !this.leading) return;
    this.timer = setTimeout(() => {
      // A lease taken while ticks are being fired waits for that round, which ends by waking again.
      if (this.firing) return;
      this.firing = this.fireDue().finally(() => (this.firing = undefined));
    }, ms);
  }

  private async fireDue(): Promise<void> {
    const channel = this.heldOn;
    if (!channel || this.stopped) return;
    const now = new Date();
    const jobs: Array<Promise<void>> = [];
    const fired: Array<{ lease: Lease; tokens: ConsumeMessage[]; lastTick: string }> = [];
    for (const lease of this.leases) {
      if (!lease.leader) continue;
      if (lease.takingOver) this.takeOver(lease, now);
      const last = lease.lastTick ? new Date(lease.lastTick) : undefined;
      const ticks = dueTicks(lease.schedule, last, now);
      const latest = ticks.at(-1);
      if (!latest) continue;
      // A tick's job and its lease's new state leave in the same socket write (no await in between).
      for (const tick of ticks) jobs.push(this.publishTick(lease.schedule, tick, now, channel));
      const token: LeaseToken = { definition: lease.definition, lastTick: latest.toISOString() };
      channel.sendToQueue(lease.queue, Buffer.from(JSON.stringify(token)), {
        persistent: true,
        contentType: 'application/json',
      });
      fired.push({ lease, tokens: [...lease.held], lastTick: token.lastTick as string });
    }
    if (fired.length > 0) {
      try {
        await Promise.all([...jobs, channel.waitForConfirms()]);
        for (const { lease, tokens, lastTick } of fired) {
          lease.lastTick = lastTick;
          lease.firedBy = lease.definition;
          for (const token of tokens) channel.ack(token);
          lease.held = lease.held.filter((token) => !tokens.includes(token));
        }
      } catch (err) {
        const leases = fired.map(({ lease }) => lease.queue).join(', ');
        this.deps.log.error('scheduler.fire_failed', { lease: leases, error: oneLine(err) });
      }
    }
    this.wake(this.sleepFor());
  }

  /**
   * Publishes one tick's job while the lease is still held on `leaseChannel`: a tick that waited for
   * the publisher through a reconnect is not sent once the lease went with the old connection (its
   * tokens are back in the queue and the next leader fires the tick).
   */
  private publishTick(
    schedule: CompiledSchedule,
    tick: Date,
    now: Date,
    leaseChannel: AmqpConfirmChannel,
  ): Promise<void> {
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
      () => this.heldOn === leaseChannel,
    );
  }

  /** Until the earliest next tick of a schedule this worker fires, or a lease it just took (at most a minute). */
  private sleepFor(): number {
    const now = new Date();
    let earliest = Number.POSITIVE_INFINITY;
    for (const lease of this.leases) {
      if (!lease.leader) continue;
      // Taken during the last round: its first fire (the ticks the handover delayed) is due now.
      if (lease.takingOver) return 0;
      const last = lease.lastTick ? new Date(lease.lastTick) : undefined;
      const tick = lease.schedule.next(last && last > now ? last : now);
      if (tick) earliest = Math.min(earliest, tick.getTime());
    }
    return Math.max(0, Math.min(MAX_SLEEP_MS, earliest - now.getTime()));
  }
}

/** A token's state; one that is not ours to read (or a joining worker's `{}`) carries none but still holds the lease. */
function readToken(content: Buffer): LeaseToken {
  try {
    const { definition, lastTick } = JSON.parse(content.toString('utf8')) as Record<string, unknown>;
    if (typeof lastTick !== 'string' || Number.isNaN(Date.parse(lastTick))) return {};
    return { lastTick, definition: typeof definition === 'string' ? definition : undefined };
  } catch {
    return {};
  }
}
