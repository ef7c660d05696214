/**
 * The rules a job's options obey wherever they are given: a worker's handler registration, an
 * enqueue's `queue`, and `jobs.schema.ts` as `arq-gen generate` reads it. One definition, so the
 * generator never accepts a schema the runtime then refuses.
 */
import { z } from 'zod';

/** Queue names travel in topic routing keys and must not look like broker-reserved names. */
export const queueNameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .refine((name) => !/[*#\s]/.test(name), 'must not contain "*", "#" or whitespace')
  .refine((name) => !name.startsWith('amq.'), 'must not start with "amq." (reserved by RabbitMQ)');

/** Attempts after the first. */
export const maxRetriesSchema = z.number().int('must be a whole number').nonnegative('must be 0 or more');

/** A job's attempt timeout (ms). */
export const jobTimeoutSchema = z
  .number()
  .int('must be a whole number of milliseconds')
  .positive('must be greater than 0');

/** Why `name` is not a valid queue name; empty when it is. */
export function queueNameProblems(name: string): string[] {
  const parsed = queueNameSchema.safeParse(name);
  return parsed.success ? [] : parsed.error.issues.map((issue) => issue.message);
}
