/**
 * What `arq-gen worker -m path:export` runs: loads the module (TypeScript without a build step),
 * takes the named export (worker settings, or a bare array of named functions as Python modules
 * export), and layers settings: CLI flag > environment > module > default.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import type { HandlerMap, WorkerSettings } from '../runtime/index.js';

/** Settings the command line (or the environment) can override. */
export type WorkerOverrides = Partial<
  Pick<
    WorkerSettings,
    | 'url'
    | 'prefetchCount'
    | 'connectionTimeout'
    | 'queueName'
    | 'maxRetries'
    | 'jobTimeout'
    | 'maxConcurrentJobs'
    | 'logLevel'
  >
> & { burst?: boolean; burstTimeout?: number; burstCheckInterval?: number; burstNoWait?: boolean };

/** `./workers.ts:workerSettings` → file and export name (default export when no name is given). */
export function parseModuleSpec(spec: string): { file: string; exportName: string } {
  const colon = spec.lastIndexOf(':');
  // A Windows drive letter (C:\...) is not an export separator.
  if (colon > 1) return { file: spec.slice(0, colon), exportName: spec.slice(colon + 1) || 'default' };
  return { file: spec, exportName: 'default' };
}

export async function loadWorkerSettings(spec: string, cwd: string): Promise<WorkerSettings> {
  const { file, exportName } = parseModuleSpec(spec);
  const path = resolve(cwd, file);
  if (!existsSync(path)) throw new Error(`worker module ${path} does not exist`);
  const module = (await tsImport(pathToFileURL(path).href, import.meta.url)) as Record<string, unknown>;
  // tsx may wrap a CommonJS-shaped module's exports in `default`.
  const value = module[exportName] ?? (module.default as Record<string, unknown> | undefined)?.[exportName];
  if (value === undefined) {
    const names = Object.keys(module).filter((name) => name !== 'default');
    throw new Error(
      `${file} has no export "${exportName}"; it exports ${names.length > 0 ? names.join(', ') : 'nothing named'}`,
    );
  }
  if (Array.isArray(value)) return { handlers: functionsToHandlers(value, file, exportName) };
  if (typeof value !== 'object' || value === null || !('handlers' in value)) {
    throw new Error(
      `${file}:${exportName} must be worker settings (an object with "handlers") or an array of named functions`,
    );
  }
  return value as WorkerSettings;
}

function functionsToHandlers(functions: unknown[], file: string, exportName: string): HandlerMap {
  const handlers: HandlerMap = {};
  for (const fn of functions) {
    if (typeof fn !== 'function' || fn.name === '')
      throw new Error(`${file}:${exportName} must hold only named functions (the job name is the function's name)`);
    handlers[fn.name] = fn as HandlerMap[string];
  }
  return handlers;
}

/** Environment variables the worker command reads, below CLI flags and above the module. */
export function overridesFromEnvironment(env: NodeJS.ProcessEnv): WorkerOverrides {
  const number = (name: string): number | undefined =>
    env[name] === undefined || env[name] === '' ? undefined : Number(env[name]);
  const overrides: WorkerOverrides = {
    url: env.AMQP_URL || undefined,
    queueName: env.ARQ_QUEUE || undefined,
    maxRetries: number('ARQ_MAX_RETRIES'),
    jobTimeout: number('ARQ_JOB_TIMEOUT'),
    maxConcurrentJobs: number('ARQ_MAX_CONCURRENT_JOBS'),
    prefetchCount: number('ARQ_PREFETCH_COUNT'),
    logLevel: (env.ARQ_LOG_LEVEL || undefined) as WorkerOverrides['logLevel'],
  };
  return dropUndefined(overrides);
}

/** Layers `flags` over `environment` over the module's settings. */
export function applyOverrides(
  settings: WorkerSettings,
  environment: WorkerOverrides,
  flags: WorkerOverrides,
): WorkerSettings {
  const { burst, burstTimeout, burstCheckInterval, burstNoWait, ...plain } = { ...environment, ...flags };
  const merged: WorkerSettings = { ...settings, ...plain };
  if (burst || burstTimeout !== undefined || burstCheckInterval !== undefined || burstNoWait) {
    const base = typeof settings.burst === 'object' ? settings.burst : {};
    if (burst || settings.burst) {
      merged.burst = dropUndefined({
        ...base,
        timeout: burstTimeout ?? base.timeout,
        checkInterval: burstCheckInterval ?? base.checkInterval,
        waitForTasks: burstNoWait ? false : base.waitForTasks,
      });
    }
  }
  return merged;
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
