/**
 * The jobs a worker runs, as registered in its settings: each handler with its schemas and its
 * effective queue, retries and timeout (per-job values over the worker's), resolved once at start.
 */
import type { z } from 'zod';
import type { ResolvedWorkerSettings } from '../settings/settings.js';
import type { JobHandler, WorkerState } from '../types.js';
import { objectSchemaKeys } from '../zod-introspection.js';
import { InvalidSchedule, oneLine } from '../errors.js';
import { compileSchedule } from '../schedules/schedule.js';
import type { CompiledSchedule } from '../schedules/schedule.js';

export interface RegisteredJob {
  name: string;
  handler: JobHandler<unknown, unknown, WorkerState>;
  args: z.ZodType | undefined;
  /** Keys of an object schema in declaration order, for Python's positional args. */
  argKeys: string[] | undefined;
  result: z.ZodType | undefined;
  queue: string;
  maxRetries: number;
  timeout: number;
  schedules: CompiledSchedule[];
}

export interface JobRegistry {
  jobs: ReadonlyMap<string, RegisteredJob>;
  /** Every queue some job lives on, sorted: the worker consumes each. */
  queues: readonly string[];
}

export function buildRegistry<State extends WorkerState>(settings: ResolvedWorkerSettings<State>): JobRegistry {
  const jobs = new Map<string, RegisteredJob>();
  for (const [name, entry] of Object.entries(settings.handlers)) {
    const registration = typeof entry === 'function' ? { handler: entry } : entry;
    jobs.set(name, {
      name,
      handler: registration.handler as JobHandler<unknown, unknown, WorkerState>,
      args: registration.args,
      argKeys: objectSchemaKeys(registration.args),
      result: registration.result,
      queue: registration.queue ?? settings.queue,
      maxRetries: registration.maxRetries ?? settings.maxRetries,
      timeout: registration.timeout ?? settings.jobTimeout,
      schedules: (registration.schedules ?? []).map((spec, index) => {
        try {
          return compileSchedule(name, index, spec, registration.args);
        } catch (err) {
          throw new InvalidSchedule(`invalid worker settings: ${oneLine(err)}`, { cause: err });
        }
      }),
    });
  }
  const queues = [...new Set([...jobs.values()].map((job) => job.queue))].sort();
  return { jobs, queues };
}
