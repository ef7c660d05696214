/**
 * The Redis result store shared by client and worker. Every decision that two processes could race
 * on (dedup at enqueue, abort against start, a retry against an abort) is one Lua script, so it is
 * atomic. Waiting for a result is a pub/sub message carrying the final record: no polling.
 *
 * Keys under the prefix (default `arq:`): `job:<id>` (the record, JSON), channels `done:<id>` (the
 * final record, published once) and `abort` (job ids whose running attempt must stop).
 *
 * One Redis, a Sentinel group or a Redis Cluster (redis-address.ts). Every script touches one key
 * (KEYS[1], the job's record) and publishes on channels, which are not keys: on a cluster each call
 * runs whole on the node holding that key's slot, and a PUBLISH reaches subscribers on every node.
 * So the key layout is the same on all three, and records stay readable across a move.
 *
 * ioredis, not node-redis: `defineCommand` loads each script once and falls back from EVALSHA by
 * itself, `enableOfflineQueue: false` makes every call fail at once while Redis is away (the worker
 * must not stall on results), and it reconnects on its own.
 */
import { createRequire } from 'node:module';
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { ResultStoreUnavailable } from '../errors.js';
import { isFinal } from './job-record.js';
import type { JobRecord } from './job-record.js';
import { parseRedisAddress, redactRedisUrl } from './redis-address.js';
import type { RedisAddress } from './redis-address.js';

/** ioredis, loaded when the first store is made: a producer or worker without a result store never loads it. */
const loadIoredis = (): { Redis: typeof Redis; Cluster: typeof Cluster } =>
  createRequire(import.meta.url)('ioredis') as { Redis: typeof Redis; Cluster: typeof Cluster };

export interface ResultStoreOptions {
  /** `redis://`, `rediss://`, `redis-sentinel://` or `redis-cluster://` (redis-address.ts). */
  url: string;
  keyPrefix: string;
  /** How long records live (ms), from their last write. */
  ttl: number;
  /** Bound on the first connect (ms). */
  connectionTimeout: number;
}

/**
 * Whether an attempt may start: `run`; `aborted` (aborted before it started); `final` (the job already
 * ended, so this delivery is a duplicate whose ack was lost).
 */
export type BeginReply = 'run' | 'aborted' | 'final';

/** What `finish()` did: wrote the record, or kept the abort or the final record it found. */
export type FinishReply = 'ok' | 'aborted' | 'final';

/** What `abort()` found: it stopped a job that had not started, asked a running one to stop, or came too late. */
export type AbortReply = 'aborted' | 'aborting' | 'missing' | 'finished';

// KEYS[1] record. ARGV: record, ttl. Returns the existing record when the id is taken, nil when written.
const CLAIM = `
local current = redis.call('GET', KEYS[1])
if current then
  local ok, record = pcall(cjson.decode, current)
  if not ok or not record.enqueueFailed then return current end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`;

// KEYS[1] record. ARGV: in_progress record, ttl, now, done channel, replay token ('' when none).
// Returns 'run', 'aborted', or 'final' when the job already ended: the delivery is a duplicate (its
// worker died between writing the outcome and the ack) and must not run again. Only a dead letter
// replayed since (a replay token the record has not seen) runs again over a final record.
const BEGIN = `
local current = redis.call('GET', KEYS[1])
if current then
  local record = cjson.decode(current)
  local status = record.status
  if status == 'aborted' then return 'aborted' end
  if status == 'complete' or status == 'failed' or status == 'dead' or status == 'expired' then
    if ARGV[5] == '' or record.replay == ARGV[5] then return 'final' end
  end
  if record.abortRequested then
    record.status = 'aborted'
    record.endTime = ARGV[3]
    record.abortRequested = nil
    local final = cjson.encode(record)
    redis.call('SET', KEYS[1], final, 'PX', ARGV[2])
    redis.call('PUBLISH', ARGV[4], final)
    return 'aborted'
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 'run'`;

// KEYS[1] record. ARGV: record, ttl, final ('1' or '0'), done channel. A final record is never
// replaced (a duplicate delivery dead-lettered late must not turn `complete` into `expired`), and a
// retry never replaces an abort.
const FINISH = `
local current = redis.call('GET', KEYS[1])
if current then
  local record = cjson.decode(current)
  local status = record.status
  if status == 'aborted' then return 'aborted' end
  if status == 'complete' or status == 'failed' or status == 'dead' or status == 'expired' then return 'final' end
  if ARGV[3] == '0' and record.abortRequested then return 'aborted' end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if ARGV[3] == '1' then redis.call('PUBLISH', ARGV[4], ARGV[1]) end
return 'ok'`;

// KEYS[1] record. ARGV: now, ttl, abort channel, done channel.
const ABORT = `
local current = redis.call('GET', KEYS[1])
if not current then return 'missing' end
local record = cjson.decode(current)
local status = record.status
if status == 'queued' or status == 'deferred' or status == 'retrying' then
  record.status = 'aborted'
  record.endTime = ARGV[1]
  record.error = { type = 'JobAborted', code = 'JOB_ABORTED', message = 'aborted before it ran' }
  local final = cjson.encode(record)
  redis.call('SET', KEYS[1], final, 'PX', ARGV[2])
  redis.call('PUBLISH', ARGV[4], final)
  return 'aborted'
end
if status == 'in_progress' then
  record.abortRequested = true
  redis.call('SET', KEYS[1], cjson.encode(record), 'KEEPTTL')
  redis.call('PUBLISH', ARGV[3], record.jobId)
  return 'aborting'
end
return 'finished'`;

interface ScriptedCommands {
  arqClaim(key: string, record: string, ttl: number): Promise<string | null>;
  arqBegin(key: string, record: string, ttl: number, now: string, done: string, replay: string): Promise<BeginReply>;
  arqFinish(key: string, record: string, ttl: number, final: '1' | '0', done: string): Promise<FinishReply>;
  arqAbort(key: string, now: string, ttl: number, abort: string, done: string): Promise<AbortReply>;
}

/** One Redis (alone or found through sentinels) or a cluster: the calls the store makes are the same on both. */
type Connection = Redis | Cluster;
type ScriptedRedis = Connection & ScriptedCommands;

export class ResultStore {
  readonly displayUrl: string;
  private readonly redis: ScriptedRedis;
  private subscriber: Connection | undefined;
  /** Channel → callbacks waiting on it; the channel is subscribed while any wait. */
  private readonly waiters = new Map<string, Set<(message: string) => void>>();
  /** Reads again what a waiting `waitForFinal` waits for, after the subscriber reconnected. */
  private readonly rechecks = new Set<() => void>();
  private closing: Promise<void> | undefined;

  private constructor(private readonly options: ResultStoreOptions) {
    this.displayUrl = redactRedisUrl(options.url);
    this.redis = openConnection(parseRedisAddress(options.url), options) as ScriptedRedis;
    this.redis.on('error', () => undefined); // reported through failed calls and the 'down'/'up' events below
    this.restartOnEnd(this.redis);
    this.redis.defineCommand('arqClaim', { numberOfKeys: 1, lua: CLAIM });
    this.redis.defineCommand('arqBegin', { numberOfKeys: 1, lua: BEGIN });
    this.redis.defineCommand('arqFinish', { numberOfKeys: 1, lua: FINISH });
    this.redis.defineCommand('arqAbort', { numberOfKeys: 1, lua: ABORT });
  }

  /**
   * Connects within `connectionTimeout`. With `required: false` an unreachable Redis is not an
   * error: the store keeps reconnecting and calls fail until it answers (the worker's choice).
   */
  static async open(options: ResultStoreOptions, required = true): Promise<ResultStore> {
    const store = new ResultStore(options);
    try {
      await withTimeout(store.redis.connect(), options.connectionTimeout);
    } catch (err) {
      if (required) {
        await store.close();
        throw store.unavailable(err);
      }
    }
    return store;
  }

  get ready(): boolean {
    return this.redis.status === 'ready';
  }

  /** Calls `onDown` when the connection drops and `onUp` when it is ready again. */
  watch(onDown: (reason: string) => void, onUp: () => void): void {
    this.redis.on('close', () => {
      if (!this.closing) onDown('connection closed');
    });
    this.redis.on('ready', onUp);
  }

  /** Writes the record of a job about to be published, unless its id is taken: then returns the holder's record. */
  async claim(record: JobRecord): Promise<JobRecord | null> {
    const existing = await this.call(() =>
      this.redis.arqClaim(this.key(record.jobId), JSON.stringify(record), this.ttl),
    );
    return existing === null ? null : (JSON.parse(existing) as JobRecord);
  }

  /**
   * Records that an attempt starts, unless the job was aborted or already ended: then the attempt
   * must not run and the record stays as it is. A record carrying a new `replay` token (a replayed
   * dead letter) starts again even over a final record.
   */
  begin(record: JobRecord): Promise<BeginReply> {
    return this.call(() =>
      this.redis.arqBegin(
        this.key(record.jobId),
        JSON.stringify(record),
        this.ttl,
        new Date().toISOString(),
        this.doneChannel(record.jobId),
        record.replay ?? '',
      ),
    );
  }

  /**
   * Writes a record; a final one is also published to whoever waits for it. A final record is never
   * replaced, and a retry does not replace an abort.
   */
  async finish(record: JobRecord): Promise<FinishReply> {
    const final = isFinal(record.status) ? '1' : '0';
    return this.call(() =>
      this.redis.arqFinish(
        this.key(record.jobId),
        JSON.stringify(record),
        this.ttl,
        final,
        this.doneChannel(record.jobId),
      ),
    );
  }

  /** Overwrites a record unconditionally (the client marking its own failed publish). */
  async put(record: JobRecord): Promise<void> {
    await this.call(() => this.redis.set(this.key(record.jobId), JSON.stringify(record), 'PX', this.ttl));
  }

  async get(jobId: string): Promise<JobRecord | null> {
    const text = await this.call(() => this.redis.get(this.key(jobId)));
    return text === null ? null : (JSON.parse(text) as JobRecord);
  }

  abort(jobId: string): Promise<AbortReply> {
    return this.call(() =>
      this.redis.arqAbort(
        this.key(jobId),
        new Date().toISOString(),
        this.ttl,
        this.abortChannel,
        this.doneChannel(jobId),
      ),
    );
  }

  /**
   * The job's final record, as soon as it is written: subscribes first, then reads, so a result
   * written in between is not missed. Resolves `null` at `timeout` (ms).
   */
  async waitForFinal(jobId: string, timeout: number): Promise<JobRecord | null> {
    const channel = this.doneChannel(jobId);
    let onMessage: (message: string) => void = () => undefined;
    const published = new Promise<JobRecord>((resolve) => {
      onMessage = (message) => resolve(JSON.parse(message) as JobRecord);
    });
    // A final record published while the subscriber was reconnecting (a Sentinel failover, a restart)
    // reached no one: each time it is subscribed again, the record is read again.
    const recheck = (): void =>
      void this.get(jobId).then(
        (record) => {
          if (record && isFinal(record.status)) onMessage(JSON.stringify(record));
        },
        () => undefined,
      );
    this.rechecks.add(recheck);
    let timer: NodeJS.Timeout | undefined;
    try {
      await this.listen(channel, onMessage);
      const current = await this.get(jobId);
      if (current && isFinal(current.status)) return current;
      const timedOut = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeout)));
      return await Promise.race([published, timedOut]);
    } finally {
      clearTimeout(timer);
      this.rechecks.delete(recheck);
      await this.unlisten(channel, onMessage);
    }
  }

  /** Calls `onAbort(jobId)` for every abort request of a running job; for workers. */
  async onAbortRequest(onAbort: (jobId: string) => void): Promise<void> {
    await this.listen(this.abortChannel, onAbort);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const connection of [this.subscriber, this.redis]) {
        if (!connection) continue;
        if (connection.status === 'ready') await connection.quit().catch(() => undefined);
        // Also after QUIT: it is what stops the Sentinel connector's failover detector.
        connection.disconnect();
      }
    })();
    return this.closing;
  }

  private get ttl(): number {
    return this.options.ttl;
  }

  private key(jobId: string): string {
    return `${this.options.keyPrefix}job:${jobId}`;
  }

  private doneChannel(jobId: string): string {
    return `${this.options.keyPrefix}done:${jobId}`;
  }

  private get abortChannel(): string {
    return `${this.options.keyPrefix}abort`;
  }

  private async listen(channel: string, callback: (message: string) => void): Promise<void> {
    const subscriber = this.subscriber ?? this.openSubscriber();
    let callbacks = this.waiters.get(channel);
    if (!callbacks) {
      callbacks = new Set();
      this.waiters.set(channel, callbacks);
    }
    callbacks.add(callback);
    if (callbacks.size === 1) await this.call(() => subscriber.subscribe(channel));
  }

  private async unlisten(channel: string, callback: (message: string) => void): Promise<void> {
    const callbacks = this.waiters.get(channel);
    if (!callbacks?.delete(callback) || callbacks.size > 0) return;
    this.waiters.delete(channel);
    await this.subscriber?.unsubscribe(channel).catch(() => undefined);
  }

  private openSubscriber(): Connection {
    // Subscriptions queue until connected (offline queue on) and are restored after a reconnect.
    const override = { enableOfflineQueue: true, lazyConnect: false };
    const subscriber = isCluster(this.redis) ? this.redis.duplicate([], override) : this.redis.duplicate(override);
    subscriber.on('error', () => undefined);
    this.restartOnEnd(subscriber);
    let connectedBefore = false;
    subscriber.on('ready', () => {
      if (connectedBefore) for (const recheck of this.rechecks) recheck();
      connectedBefore = true;
    });
    subscriber.on('message', (channel: string, message: string) => {
      for (const callback of this.waiters.get(channel) ?? []) callback(message);
    });
    this.subscriber = subscriber;
    return subscriber;
  }

  /**
   * ioredis gives a Sentinel connection up for good when its failover detector's disconnect lands
   * while a reconnect is still asking the sentinels for the master; a store must outlast that.
   */
  private restartOnEnd(connection: Connection): void {
    connection.on('end', () => {
      if (!this.closing) connection.connect().catch(() => undefined);
    });
  }

  private async call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  private unavailable(err: unknown): ResultStoreUnavailable {
    const reason = err instanceof Error ? err.message : String(err);
    return new ResultStoreUnavailable(`result store ${this.displayUrl} is unavailable: ${reason}`, { cause: err });
  }
}

function openConnection(address: RedisAddress, options: ResultStoreOptions): Connection {
  const ioredis = loadIoredis();
  const perNode = {
    maxRetriesPerRequest: 1,
    commandTimeout: Math.min(options.connectionTimeout, 5_000),
    connectTimeout: options.connectionTimeout,
  } satisfies RedisOptions;
  const common = { lazyConnect: true, enableOfflineQueue: false, enableAutoPipelining: true };
  const retry = (attempt: number): number => Math.min(attempt * 200, 2_000);
  switch (address.kind) {
    case 'single':
      return new ioredis.Redis(address.url, { ...common, ...perNode, retryStrategy: retry } satisfies RedisOptions);
    case 'sentinel':
      return new ioredis.Redis({
        ...common,
        ...perNode,
        retryStrategy: retry,
        sentinels: address.sentinels,
        name: address.name,
        db: address.db,
        username: address.username,
        password: address.password,
        sentinelPassword: address.sentinelPassword,
        sentinelRetryStrategy: retry,
        // Hears the sentinels' +switch-master and reconnects at once: a master demoted while it lives
        // goes on taking writes until the sentinels reconfigure it (up to 10 s), writes its resync
        // then discards.
        failoverDetector: true,
      } satisfies RedisOptions);
    case 'cluster':
      return new ioredis.Cluster(address.nodes, {
        ...common,
        clusterRetryStrategy: retry,
        redisOptions: { ...perNode, username: address.username, password: address.password },
      } satisfies ClusterOptions);
  }
}

function isCluster(connection: Connection): connection is Cluster {
  return (connection as Cluster).isCluster === true;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
