/**
 * The worker settings an operator may set from outside the code: one table gives each its flag, its
 * environment variable and how its text is parsed, so `rabbitmq-arq worker`, the environment and the docs
 * cannot drift apart. Layers apply as flag > environment > module > default.
 */
import { InvalidSettings } from '../errors.js';
import type { LogLevel } from '../logger.js';
import type { BurstSettings, WorkerSettings, WorkerState } from '../types.js';
import { parseDuration, parseLogLevel, parseSwitch, parseWholeNumber } from './parse-text.js';

/** Settings that flags and `ARQ_*` variables can override; the burst ones fold into `burst`. */
export interface WorkerOverrides {
  url?: string;
  queueName?: string;
  maxRetries?: number;
  jobTimeout?: number;
  maxConcurrentJobs?: number;
  prefetchCount?: number;
  connectionTimeout?: number;
  logLevel?: LogLevel;
  burst?: boolean;
  burstTimeout?: number;
  burstCheckInterval?: number;
  burstNoWait?: boolean;
  resultStore?: string;
  resultKeyPrefix?: string;
  healthPort?: number;
  healthHost?: string;
}

type Kind = 'text' | 'whole' | 'duration' | 'switch' | 'logLevel';

interface OverrideSource {
  key: keyof WorkerOverrides;
  flag: string;
  variable: string;
  kind: Kind;
}

/** Every overridable setting, its `rabbitmq-arq worker` flag and its environment variable. */
export const workerOverrideSources: readonly OverrideSource[] = [
  { key: 'url', flag: '--rabbitmq-url', variable: 'AMQP_URL', kind: 'text' },
  { key: 'queueName', flag: '--queue', variable: 'ARQ_QUEUE', kind: 'text' },
  { key: 'maxRetries', flag: '--max-retries', variable: 'ARQ_MAX_RETRIES', kind: 'whole' },
  { key: 'jobTimeout', flag: '--job-timeout', variable: 'ARQ_JOB_TIMEOUT', kind: 'duration' },
  { key: 'maxConcurrentJobs', flag: '--max-concurrent-jobs', variable: 'ARQ_MAX_CONCURRENT_JOBS', kind: 'whole' },
  { key: 'prefetchCount', flag: '--prefetch-count', variable: 'ARQ_PREFETCH_COUNT', kind: 'whole' },
  { key: 'connectionTimeout', flag: '--connection-timeout', variable: 'ARQ_CONNECTION_TIMEOUT', kind: 'duration' },
  { key: 'logLevel', flag: '--log-level', variable: 'ARQ_LOG_LEVEL', kind: 'logLevel' },
  { key: 'burst', flag: '--burst', variable: 'ARQ_BURST', kind: 'switch' },
  { key: 'burstTimeout', flag: '--burst-timeout', variable: 'ARQ_BURST_TIMEOUT', kind: 'duration' },
  { key: 'burstCheckInterval', flag: '--burst-check-interval', variable: 'ARQ_BURST_CHECK_INTERVAL', kind: 'duration' },
  { key: 'burstNoWait', flag: '--burst-no-wait', variable: 'ARQ_BURST_NO_WAIT', kind: 'switch' },
  { key: 'resultStore', flag: '--result-store', variable: 'ARQ_RESULT_STORE', kind: 'text' },
  { key: 'resultKeyPrefix', flag: '--result-key-prefix', variable: 'ARQ_RESULT_KEY_PREFIX', kind: 'text' },
  { key: 'healthPort', flag: '--health-port', variable: 'ARQ_HEALTH_PORT', kind: 'whole' },
  { key: 'healthHost', flag: '--health-host', variable: 'ARQ_HEALTH_HOST', kind: 'text' },
];

const parsers: Record<Kind, (text: string, source: string) => unknown> = {
  text: (text) => text,
  whole: parseWholeNumber,
  duration: parseDuration,
  switch: parseSwitch,
  logLevel: parseLogLevel,
};

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
  flags: Partial<Record<keyof WorkerOverrides, string | boolean | undefined>>,
): WorkerOverrides {
  return parseLayer(
    (source) => flags[source.key],
    (source) => source.flag,
  );
}

function parseLayer(
  valueOf: (source: OverrideSource) => string | boolean | undefined,
  nameOf: (source: OverrideSource) => string,
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
      overrides[source.key] = parsers[source.kind](value, nameOf(source));
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
    const { burst: burstSwitch, burstTimeout, burstCheckInterval, burstNoWait, ...plain } = layer;
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
