import { z } from 'zod';
import type { ScheduleSpec } from './schedules/schedule.js';

/**
 * An ISO-8601 date-time with offset on the wire, a `Date` in TypeScript.
 * Producers may pass a `Date` or such a string; handlers always receive a `Date`; the wire always
 * carries the UTC string (`z.date()` cannot travel as JSON, which is why this codec exists).
 */
export const isoDate = z.codec(z.union([z.iso.datetime({ offset: true }), z.date()]), z.date(), {
  decode: (value) => (value instanceof Date ? value : new Date(value)),
  encode: (date) => date.toISOString(),
});

/** One job of a `jobs.schema.ts`. */
export interface JobDefinition<
  Args extends z.ZodObject = z.ZodObject,
  Result extends z.ZodType | undefined = z.ZodType | undefined,
> {
  /** One line on what the job does; copied into generated docs and JSON Schema titles. */
  description?: string;
  /** Schema of the job's arguments (travels as `kwargs`). */
  args: Args;
  /** Schema of the job's result, validated by the worker. */
  result?: Result;
  /** Queue of this job; defaults to the definition's `queue`. */
  queue?: string;
  /** Attempts after the first; overrides the worker's `maxRetries`. */
  maxRetries?: number;
  /** Attempt timeout in ms; overrides the worker's `jobTimeout`. */
  timeout?: number;
  /** Recurring ticks, each an ordinary job with these arguments (docs/scheduling.md). */
  schedules?: ReadonlyArray<ScheduleSpec<z.input<Args>>>;
}

/** The whole of a `jobs.schema.ts`. */
export interface JobsDefinition<Jobs extends Record<string, JobDefinition> = Record<string, JobDefinition>> {
  /** Default queue of these jobs. */
  queue?: string;
  jobs: Jobs;
}

/** Identity at run time; typed so inference keeps each job's argument and result schema. */
export function defineJobs<const Jobs extends Record<string, JobDefinition>>(
  definition: JobsDefinition<Jobs>,
): JobsDefinition<Jobs> {
  return definition;
}

/** What a producer passes for a job's arguments (defaults optional, `isoDate` as `Date` or string). */
export type JobArgsInput<D extends JobDefinition> = z.input<D['args']>;
/** What a handler receives (defaults filled, `isoDate` as `Date`). */
export type JobArgs<D extends JobDefinition> = z.output<D['args']>;
/** What a handler returns and `Job.result()` resolves to. */
export type JobResult<D extends JobDefinition> = D['result'] extends z.ZodType ? z.output<D['result']> : unknown;
