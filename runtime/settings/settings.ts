/**
 * Defaults (one table, mirrored in the README) and validation of client and worker settings.
 * Settings are validated once, at construction, and every bad field is reported at once.
 *
 * The interfaces in ../types.ts are the one declaration of each setting (with its JSDoc): the Zod
 * shapes here must have exactly their keys, each producing the declared type (`satisfies ShapeOf<…>`),
 * and the resolved settings are mapped from them, so a setting added to an interface and forgotten
 * here does not compile.
 */
import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { InvalidSettings } from '../errors.js';
import { resolveTls } from '../transport/tls.js';
import { brokerUrlProblems, parseBrokerUrls, splitBrokerUrls } from './broker-urls.js';
import type { BrokerUrls } from './broker-urls.js';
import type { TlsSocketOptions } from '../transport/tls.js';
import { jobTimeoutSchema, maxRetriesSchema, queueNameSchema } from './job-rules.js';
import { isZodSchema } from '../zod-introspection.js';
import type { Logger } from '../logger.js';
import { createConsoleLogger, localeFromEnvironment } from '../logger.js';
import type {
  BurstSettings,
  ClientSettings,
  RabbitMQSettings,
  ResultStoreSettings,
  WorkerSettings,
  WorkerState,
} from '../types.js';

export const defaults = {
  url: 'amqp://guest:guest@localhost:5672',
  connectionTimeout: 30_000,
  heartbeat: 60_000,
  delayPrefix: 'arq',
  logLevel: 'info',
  /**
   * The level of a client, and of a worker on `memory://`: a producer script or a test prints only
   * warnings and errors unless its `logLevel` asks for more.
   */
  quietLogLevel: 'warn',
  queue: 'default',
  queueType: 'quorum',
  maxMessageBytes: 1_048_576,
  maxConcurrentJobs: 10,
  maxRetries: 3,
  retryBackoff: 5_000,
  retryBackoffMax: 300_000,
  jobTimeout: 300_000,
  gracefulShutdownTimeout: 30_000,
  outcomePublishTimeout: 30_000,
  statsInterval: 60_000,
  burstTimeout: 300_000,
  burstCheckInterval: 1_000,
  resultKeyPrefix: 'arq:',
  jobResultTtl: 86_400_000,
  healthHost: '0.0.0.0',
} as const satisfies Record<string, string | number>;

/** The broker's nodes when none are given: `AMQP_URL` (a comma-separated list), else the local default. The one place that reads it. */
export function defaultUrls(env: NodeJS.ProcessEnv = process.env): string[] {
  return env.AMQP_URL ? parseBrokerUrls(env.AMQP_URL, 'AMQP_URL') : [defaults.url];
}

/** The nodes of a `url` setting, already validated, or `AMQP_URL`'s when it is not given. */
export function resolveBrokerUrls(url: BrokerUrls | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  if (url === undefined) return defaultUrls(env);
  const urls = splitBrokerUrls(url);
  const problems = brokerUrlProblems(urls);
  if (problems.length > 0) throw new InvalidSettings(`invalid settings: url: ${problems.join('; ')}`);
  return urls;
}

export { queueNameSchema } from './job-rules.js';

const positiveMs = z.number().int('must be a whole number of milliseconds').positive('must be greater than 0');
const nonNegativeMs = z.number().int('must be a whole number of milliseconds').nonnegative('must be 0 or more');
/** A function setting, typed as its interface declares it. */
const fn = <F>() => z.custom<F>((value) => typeof value === 'function', 'must be a function');

/** One Zod schema per field of `T`: every key of the interface and no other, each producing the field's type. */
type ShapeOf<T> = { [K in keyof T]-?: z.ZodType<T[K]> };

const pem = z.union([z.string().min(1, 'must not be empty'), z.instanceof(Buffer)]);

const connectionShape = {
  url: z
    .union([z.string(), z.array(z.string())], 'must be a URL, a comma-separated list of URLs or an array of URLs')
    .superRefine((value, ctx) => {
      for (const problem of brokerUrlProblems(splitBrokerUrls(value)))
        ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  connectionTimeout: positiveMs.optional(),
  connectionName: z.string().min(1, 'must not be empty').optional(),
  quorumInitialGroupSize: z.number().int('must be a whole number').positive('must be 1 or more').optional(),
  heartbeat: nonNegativeMs.optional(),
  tls: z
    .strictObject({
      ca: z.union([pem, z.array(pem)]).optional(),
      caFile: z.string().min(1, 'must not be empty').optional(),
      cert: pem.optional(),
      certFile: z.string().min(1, 'must not be empty').optional(),
      key: pem.optional(),
      keyFile: z.string().min(1, 'must not be empty').optional(),
      passphrase: z.string().optional(),
      servername: z.string().min(1, 'must not be empty').optional(),
      rejectUnauthorized: z.boolean().optional(),
    })
    .optional(),
  delayPrefix: z
    .string()
    .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'must be dot-separated words of letters, digits, "-" and "_"')
    .optional(),
  logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']).optional(),
  locale: z.enum(['en', 'zh-CN']).optional(),
  logger: z
    .custom<Logger>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        ['debug', 'info', 'warn', 'error'].every((m) => typeof (value as Record<string, unknown>)[m] === 'function'),
      'must have debug, info, warn and error methods',
    )
    .optional(),
} satisfies ShapeOf<RabbitMQSettings>;

const resultStoreShape = {
  resultStore: z
    .string()
    .refine((url) => /^rediss?:\/\//.test(url) && URL.canParse(url), 'must be a redis:// or rediss:// URL')
    .optional(),
  resultKeyPrefix: z.string().min(1, 'must not be empty').optional(),
  jobResultTtl: positiveMs.optional(),
} satisfies ShapeOf<ResultStoreSettings>;

export const clientSettingsSchema = z.strictObject({
  ...connectionShape,
  ...resultStoreShape,
  ...({
    queue: queueNameSchema.optional(),
    queueType: z.enum(['quorum', 'classic']).optional(),
    maxMessageBytes: z.number().int().positive('must be greater than 0').optional(),
  } satisfies ShapeOf<Omit<ClientSettings, keyof RabbitMQSettings | keyof ResultStoreSettings>>),
});

type AnyFunction = (...args: never[]) => unknown;

const handlerEntry = z.union([
  fn<AnyFunction>(),
  z.looseObject({
    handler: fn<AnyFunction>(),
    args: z.custom<z.ZodType>(isZodSchema, 'must be a Zod schema').optional(),
    result: z.custom<z.ZodType>(isZodSchema, 'must be a Zod schema').optional(),
    queue: queueNameSchema.optional(),
    maxRetries: maxRetriesSchema.optional(),
    timeout: jobTimeoutSchema.optional(),
    schedules: z.array(z.unknown()).optional(),
  }),
]);

export const workerSettingsSchema = z.strictObject({
  ...connectionShape,
  ...resultStoreShape,
  // Checked entry by entry; their type is HandlerMap's, generic in the worker's state, which Zod cannot carry.
  handlers: z
    .record(z.string().min(1, 'job names must not be empty'), handlerEntry)
    .refine((handlers) => Object.keys(handlers).length > 0, 'must register at least one job'),
  ...workerShape(),
});

type WorkerHook<K extends 'onStartup' | 'onShutdown' | 'onJobStart' | 'onJobEnd'> = NonNullable<WorkerSettings[K]>;

function workerShape() {
  return {
    queue: queueNameSchema.optional(),
    queueType: z.enum(['quorum', 'classic']).optional(),
    workerName: z.string().min(1).optional(),
    maxConcurrentJobs: z.number().int().positive('must be greater than 0').optional(),
    prefetchCount: z.number().int().positive('must be greater than 0').max(65_535, 'must be at most 65535').optional(),
    maxRetries: z.number().int().nonnegative('must be 0 or more').optional(),
    retryBackoff: nonNegativeMs.optional(),
    retryBackoffMax: nonNegativeMs.optional(),
    jobTimeout: positiveMs.optional(),
    gracefulShutdownTimeout: nonNegativeMs.optional(),
    outcomePublishTimeout: positiveMs.optional(),
    statsInterval: nonNegativeMs.optional(),
    healthPort: z.number().int().min(0).max(65_535, 'must be a port number (0 picks a free one)').optional(),
    healthHost: z.string().min(1, 'must not be empty').optional(),
    metricsRegistry: z
      .custom<Registry>(
        (value) =>
          typeof value === 'object' && value !== null && typeof (value as { metrics?: unknown }).metrics === 'function',
        'must be a prom-client Registry',
      )
      .optional(),
    burst: z
      .union([
        z.boolean(),
        z.strictObject({
          timeout: positiveMs.optional(),
          checkInterval: positiveMs.optional(),
          waitForTasks: z.boolean().optional(),
        }),
      ])
      .optional(),
    handleSignals: z.boolean().optional(),
    onStartup: fn<WorkerHook<'onStartup'>>().optional(),
    onShutdown: fn<WorkerHook<'onShutdown'>>().optional(),
    onJobStart: fn<WorkerHook<'onJobStart'>>().optional(),
    onJobEnd: fn<WorkerHook<'onJobEnd'>>().optional(),
  } satisfies ShapeOf<Omit<WorkerSettings, keyof RabbitMQSettings | keyof ResultStoreSettings | 'handlers'>>;
}

function validate<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  throw new InvalidSettings(`invalid ${what} settings: ${describeIssues(result.error.issues).join('; ')}`);
}

/** Every problem of worker settings, one line each (`path: what is wrong`); empty when they are valid. */
export function workerSettingsProblems(input: unknown): string[] {
  const result = workerSettingsSchema.safeParse(input ?? {});
  return result.success ? [] : describeIssues(result.error.issues);
}

function describeIssues(issues: z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(settings)';
    const message =
      issue.code === 'unrecognized_keys'
        ? `unknown setting(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`
        : issue.message;
    return `${path}: ${message}`;
  });
}

// The resolved types map over the interfaces' keys (a mapping over a key union makes every field
// required): a setting added to an interface is then missing from its resolve function until filled in.
/** Connection settings once resolved: defaults applied, TLS files read. */
export type ResolvedConnectionSettings = {
  [K in Exclude<keyof RabbitMQSettings, 'url' | 'connectionName' | 'quorumInitialGroupSize' | 'tls'>]: Exclude<
    RabbitMQSettings[K],
    undefined
  >;
} & { [K in 'connectionName' | 'quorumInitialGroupSize']: RabbitMQSettings[K] } & {
  /** The broker's nodes, in the order given (the connection starts on one at random). */
  urls: readonly string[];
  /** Socket options for an `amqps://` URL, files already read. */
  tls: TlsSocketOptions | undefined;
};

function resolveConnection(input: RabbitMQSettings, role: 'client' | 'worker'): ResolvedConnectionSettings {
  const urls = resolveBrokerUrls(input.url);
  const quiet = role === 'client' || urls[0]!.startsWith('memory://');
  const logLevel = input.logLevel ?? (quiet ? defaults.quietLogLevel : defaults.logLevel);
  return {
    urls,
    connectionName: input.connectionName,
    quorumInitialGroupSize: input.quorumInitialGroupSize,
    connectionTimeout: input.connectionTimeout ?? defaults.connectionTimeout,
    heartbeat: input.heartbeat ?? defaults.heartbeat,
    tls: resolveTls(input.tls),
    delayPrefix: input.delayPrefix ?? defaults.delayPrefix,
    locale: input.locale ?? localeFromEnvironment(),
    logLevel,
    logger: input.logger ?? createConsoleLogger({ level: logLevel }),
  };
}

/** The result store's settings once resolved; `undefined` where no store is configured. */
export interface ResolvedResultStoreSettings {
  url: string;
  keyPrefix: string;
  ttl: number;
}

export function resolveResultStore(input: ResultStoreSettings): ResolvedResultStoreSettings | undefined {
  if (!input.resultStore) return undefined;
  return {
    url: input.resultStore,
    keyPrefix: input.resultKeyPrefix ?? defaults.resultKeyPrefix,
    ttl: input.jobResultTtl ?? defaults.jobResultTtl,
  };
}

/** Client settings once resolved: every setting of `ClientSettings`, defaults applied. */
export type ResolvedClientSettings = ResolvedConnectionSettings & {
  [K in Exclude<keyof ClientSettings, keyof RabbitMQSettings | keyof ResultStoreSettings>]: Exclude<
    ClientSettings[K],
    undefined
  >;
} & {
  resultStore: ResolvedResultStoreSettings | undefined;
};

export function resolveClientSettings(input: ClientSettings = {}): ResolvedClientSettings {
  const valid = validate(clientSettingsSchema, input, 'client') as ClientSettings;
  return {
    ...resolveConnection(valid, 'client'),
    queue: valid.queue ?? defaults.queue,
    queueType: valid.queueType ?? defaults.queueType,
    maxMessageBytes: valid.maxMessageBytes ?? defaults.maxMessageBytes,
    resultStore: resolveResultStore(valid),
  };
}

/**
 * Worker settings once resolved: every setting of `WorkerSettings`, defaults applied, burst mode
 * spelled out. `healthPort`, `metricsRegistry` and the hooks have no default: `undefined` unless given.
 */
export type ResolvedWorkerSettings<State extends WorkerState = WorkerState> = ResolvedConnectionSettings & {
  [
    K in Exclude<
      keyof WorkerSettings<State>,
      | keyof RabbitMQSettings
      | keyof ResultStoreSettings
      | 'burst'
      | 'healthPort'
      | 'metricsRegistry'
      | 'onStartup'
      | 'onShutdown'
      | 'onJobStart'
      | 'onJobEnd'
    >
  ]: Exclude<WorkerSettings<State>[K], undefined>;
} & {
  [
    K in 'healthPort' | 'metricsRegistry' | 'onStartup' | 'onShutdown' | 'onJobStart' | 'onJobEnd'
  ]: WorkerSettings<State>[K];
} & {
  resultStore: ResolvedResultStoreSettings | undefined;
  /** Burst mode with every field given; `undefined` when the worker runs until stopped. */
  burst: Required<BurstSettings> | undefined;
};

export function resolveWorkerSettings<State extends WorkerState>(
  input: WorkerSettings<State>,
): ResolvedWorkerSettings<State> {
  validate(workerSettingsSchema, input, 'worker');
  const maxConcurrentJobs = input.maxConcurrentJobs ?? defaults.maxConcurrentJobs;
  const burst = input.burst === true ? {} : input.burst || undefined;
  return {
    ...resolveConnection(input, 'worker'),
    handlers: input.handlers,
    queue: input.queue ?? defaults.queue,
    queueType: input.queueType ?? defaults.queueType,
    workerName: input.workerName ?? `${hostname()}-${process.pid}`,
    maxConcurrentJobs,
    prefetchCount: input.prefetchCount ?? maxConcurrentJobs,
    maxRetries: input.maxRetries ?? defaults.maxRetries,
    retryBackoff: input.retryBackoff ?? defaults.retryBackoff,
    retryBackoffMax: input.retryBackoffMax ?? defaults.retryBackoffMax,
    jobTimeout: input.jobTimeout ?? defaults.jobTimeout,
    gracefulShutdownTimeout: input.gracefulShutdownTimeout ?? defaults.gracefulShutdownTimeout,
    outcomePublishTimeout: input.outcomePublishTimeout ?? defaults.outcomePublishTimeout,
    statsInterval: input.statsInterval ?? defaults.statsInterval,
    resultStore: resolveResultStore(input),
    healthPort: input.healthPort,
    healthHost: input.healthHost ?? defaults.healthHost,
    metricsRegistry: input.metricsRegistry,
    burst: burst && {
      timeout: burst.timeout ?? defaults.burstTimeout,
      checkInterval: burst.checkInterval ?? defaults.burstCheckInterval,
      waitForTasks: burst.waitForTasks ?? true,
    },
    handleSignals: input.handleSignals ?? true,
    onStartup: input.onStartup,
    onShutdown: input.onShutdown,
    onJobStart: input.onJobStart,
    onJobEnd: input.onJobEnd,
  };
}
