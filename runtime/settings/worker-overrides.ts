/**
 * The worker settings an operator may set from outside the code. `workerOverrideTable` is the one
 * declaration of each: its flag, its environment variable, how its text is parsed, its help line and
 * its default. The `worker` and `validate-config` options, their `--help`, the environment reader and
 * the README's flags table (checked by a test) all come from it. Layers apply as flag > environment >
 * module > default.
 */
import { InvalidSettings } from '../errors.js';
import type { BurstSettings, WorkerSettings, WorkerState } from '../types.js';
import { defaults } from './settings.js';
import { parseDuration, parseLogLevel, parseSwitch, parseWholeNumber } from './parse-text.js';
import { parseBrokerUrls } from './broker-urls.js';

/** One setting that a flag and an environment variable can override. */
export interface OverrideSpec<T> {
  /** Long flag of `worker` and `validate-config`. */
  flag: `--${string}`;
  /** One-letter alias of the flag. */
  short?: `-${string}`;
  /** An older spelling of the flag, still accepted and not shown in the README. */
  alias?: `--${string}`;
  /** Environment variable. */
  variable: string;
  /** Text of the flag or variable to the setting's value; `source` names which, for the error. `parseSwitch` makes the flag a switch (`--x` / `--no-x`). */
  parse: (text: string, source: string) => T;
  /** What the flag does, one line of `--help`. */
  help: string;
  /** The default, as `--help` and the README show it; absent when the setting is off unless given. */
  default?: string;
  /** Where the value lands in `WorkerSettings`, as the README names it. @defaultValue the table key */
  setting?: string;
}

const text = (value: string): string => value;

/** A duration default in the units a flag takes. */
function shownDuration(ms: number): string {
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const)
    if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** Every overridable setting, in the order `--help` and the README list them. */
export const workerOverrideTable = {
  url: {
    flag: '--url',
    short: '-u',
    alias: '--rabbitmq-url',
    variable: 'AMQP_URL',
    parse: parseBrokerUrls,
    help: "AMQP URL, or a cluster's nodes separated by commas",
    default: defaults.url,
  },
  queue: {
    flag: '--queue',
    short: '-q',
    variable: 'ARQ_QUEUE',
    parse: text,
    help: 'Queue of the jobs whose registration names none',
    default: defaults.queue,
  },
  maxRetries: {
    flag: '--max-retries',
    short: '-r',
    variable: 'ARQ_MAX_RETRIES',
    parse: parseWholeNumber,
    help: 'Attempts after the first',
    default: String(defaults.maxRetries),
  },
  jobTimeout: {
    flag: '--job-timeout',
    short: '-t',
    variable: 'ARQ_JOB_TIMEOUT',
    parse: parseDuration,
    help: 'Attempt timeout (duration)',
    default: shownDuration(defaults.jobTimeout),
  },
  maxConcurrentJobs: {
    flag: '--max-concurrent-jobs',
    variable: 'ARQ_MAX_CONCURRENT_JOBS',
    parse: parseWholeNumber,
    help: 'Handlers running at once',
    default: String(defaults.maxConcurrentJobs),
  },
  prefetchCount: {
    flag: '--prefetch-count',
    variable: 'ARQ_PREFETCH_COUNT',
    parse: parseWholeNumber,
    help: 'Unacked messages per consumer',
    default: 'max-concurrent-jobs',
  },
  connectionTimeout: {
    flag: '--connection-timeout',
    variable: 'ARQ_CONNECTION_TIMEOUT',
    parse: parseDuration,
    help: 'How long to wait for the broker (duration)',
    default: shownDuration(defaults.connectionTimeout),
  },
  logLevel: {
    flag: '--log-level',
    short: '-l',
    variable: 'ARQ_LOG_LEVEL',
    parse: parseLogLevel,
    help: 'debug, info, warn, error or silent',
    default: defaults.logLevel,
  },
  burst: {
    flag: '--burst',
    short: '-b',
    variable: 'ARQ_BURST',
    parse: parseSwitch,
    help: 'Exit once the queues are drained (--no-burst: keep running)',
  },
  burstTimeout: {
    flag: '--burst-timeout',
    variable: 'ARQ_BURST_TIMEOUT',
    parse: parseDuration,
    help: 'Longest burst run (duration)',
    default: shownDuration(defaults.burstTimeout),
    setting: 'burst.timeout',
  },
  burstCheckInterval: {
    flag: '--burst-check-interval',
    variable: 'ARQ_BURST_CHECK_INTERVAL',
    parse: parseDuration,
    help: 'How often burst mode checks the queues (duration)',
    default: shownDuration(defaults.burstCheckInterval),
    setting: 'burst.checkInterval',
  },
  burstNoWait: {
    flag: '--burst-no-wait',
    variable: 'ARQ_BURST_NO_WAIT',
    parse: parseSwitch,
    help: 'On exit, requeue running jobs instead of waiting',
    setting: 'burst.waitForTasks: false',
  },
  resultStore: {
    flag: '--result-store',
    variable: 'ARQ_RESULT_STORE',
    parse: text,
    help: 'Redis URL of the result store',
  },
  resultKeyPrefix: {
    flag: '--result-key-prefix',
    variable: 'ARQ_RESULT_KEY_PREFIX',
    parse: text,
    help: 'Key prefix in the result store',
    default: defaults.resultKeyPrefix,
  },
  healthPort: {
    flag: '--health-port',
    variable: 'ARQ_HEALTH_PORT',
    parse: parseWholeNumber,
    help: 'Serve /healthz, /readyz and /metrics on this port (0: a free one)',
  },
  healthHost: {
    flag: '--health-host',
    variable: 'ARQ_HEALTH_HOST',
    parse: text,
    help: 'Address the health port binds',
    default: defaults.healthHost,
  },
} as const satisfies Record<string, OverrideSpec<unknown>>;

export type WorkerOverrideKey = keyof typeof workerOverrideTable;

/** Settings that flags and `ARQ_*` variables can override; the burst ones fold into `burst`. */
export type WorkerOverrides = {
  [K in WorkerOverrideKey]?: ReturnType<(typeof workerOverrideTable)[K]['parse']>;
};

/** The table as a list, each entry with its key. */
export const workerOverrideSources = (
  Object.entries(workerOverrideTable) as Array<[WorkerOverrideKey, OverrideSpec<unknown>]>
).map(([key, spec]) => ({ key, ...spec, setting: spec.setting ?? key }));

/** True when the setting's flag is a switch (`--burst`, `--no-burst`) rather than one taking a value. */
export function isSwitch(spec: OverrideSpec<unknown>): boolean {
  return spec.parse === parseSwitch;
}

/** The `ARQ_*` variables (and `AMQP_URL`) that are set and not empty; every bad value is reported at once. */
export function workerOverridesFromEnvironment(env: NodeJS.ProcessEnv = process.env): WorkerOverrides {
  return parseLayer(
    (source) => env[source.variable],
    (source) => source.variable,
  );
}

/**
 * Flag values as the command line gave them: strings to parse, booleans for switches, `undefined`
 * for a flag not given (which then overrides nothing).
 */
export function workerOverridesFromFlags(
  flags: Partial<Record<WorkerOverrideKey, string | boolean | undefined>>,
): WorkerOverrides {
  return parseLayer(
    (source) => flags[source.key],
    (source) => source.flag,
  );
}

type Source = (typeof workerOverrideSources)[number];

function parseLayer(
  valueOf: (source: Source) => string | boolean | undefined,
  nameOf: (source: Source) => string,
): WorkerOverrides {
  const overrides: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const source of workerOverrideSources) {
    const value = valueOf(source);
    if (value === undefined || value === '') continue;
    if (typeof value === 'boolean') {
      overrides[source.key] = value;
      continue;
    }
    try {
      overrides[source.key] = source.parse(value, nameOf(source));
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (problems.length > 0) throw new InvalidSettings(problems.join('; '));
  return overrides as WorkerOverrides;
}

/** `settings` with each layer applied over it in turn (lowest first); a key a layer lacks leaves the value below alone. */
export function applyWorkerOverrides<State extends WorkerState>(
  settings: WorkerSettings<State>,
  ...layers: WorkerOverrides[]
): WorkerSettings<State> {
  const merged: WorkerSettings<State> = { ...settings };
  let burstOn = Boolean(settings.burst);
  let burst: BurstSettings = typeof settings.burst === 'object' ? { ...settings.burst } : {};
  for (const layer of layers) {
    const { burst: burstSwitch, burstTimeout, burstCheckInterval, burstNoWait, ...rest } = layer;
    // Every key but the burst ones is a worker setting of the same name and type: the compiler checks it here.
    const plain: Partial<WorkerSettings<State>> = rest;
    for (const [key, value] of Object.entries(plain)) {
      if (value !== undefined) (merged as unknown as Record<string, unknown>)[key] = value;
    }
    if (burstSwitch !== undefined) burstOn = burstSwitch;
    if (burstTimeout !== undefined) burst = { ...burst, timeout: burstTimeout };
    if (burstCheckInterval !== undefined) burst = { ...burst, checkInterval: burstCheckInterval };
    if (burstNoWait !== undefined) burst = { ...burst, waitForTasks: !burstNoWait };
  }
  // Burst tuning without burst mode (say ARQ_BURST_TIMEOUT in a shared environment) changes nothing.
  if (burstOn) merged.burst = burst;
  else delete merged.burst;
  return merged;
}
