/**
 * Whether a decoded delivery may run now: the pure part of admitting a job (handler lookup, expiry,
 * due time, arguments). The worker carries the decision out; unit tests read it as a table.
 */
import type { z } from 'zod';
import { InvalidJobArgs, JobExpired, UnknownJob, oneLine } from '../errors.js';
import { DELAY_UNIT_MS } from '../topology/delay-topology.js';
import type { DeadLetterCategory } from '../types.js';
import { mergePositionalArgs } from '../wire-format.js';
import type { JobEnvelope } from '../wire-format.js';

/** What admission needs to know of a registered job. */
export interface AdmissionRules {
  args: z.ZodType | undefined;
  /** Keys of an object schema in declaration order, for Python's positional args. */
  argKeys: string[] | undefined;
}

export type Admission =
  | { kind: 'run'; args: unknown }
  /** Due within one ladder unit: wait here until `due` (epoch ms), then admit again. */
  | { kind: 'wait'; due: number }
  /** Due later: back through the delay ladder for `remaining` ms. */
  | { kind: 'defer'; remaining: number }
  | { kind: 'dead'; category: DeadLetterCategory; error: Error };

/** Never early, never after it expires, never with arguments its schema refuses. */
export function admitDelivery(job: JobEnvelope, rules: AdmissionRules | undefined, now: number): Admission {
  if (!rules) return { kind: 'dead', category: 'unknown_job', error: new UnknownJob(job.functionName) };
  if (job.expires !== null && now >= job.expires.getTime())
    return {
      kind: 'dead',
      category: 'expired',
      error: new JobExpired(`job expired at ${job.expires.toISOString()} before it could run`),
    };
  if (job.deferUntil) {
    const due = job.deferUntil.getTime();
    if (due > now) return due - now >= DELAY_UNIT_MS ? { kind: 'defer', remaining: due - now } : { kind: 'wait', due };
  }
  return parseArgs(job, rules);
}

function parseArgs(job: JobEnvelope, rules: AdmissionRules): Admission {
  const merged = mergePositionalArgs(job.args, job.kwargs, rules.argKeys);
  if (!merged.ok)
    return { kind: 'dead', category: 'invalid', error: new InvalidJobArgs(job.functionName, [], merged.reason) };
  if (!rules.args) return { kind: 'run', args: merged.value };
  try {
    const parsed = rules.args.safeParse(merged.value);
    if (parsed.success) return { kind: 'run', args: parsed.data };
    return { kind: 'dead', category: 'invalid', error: new InvalidJobArgs(job.functionName, parsed.error.issues) };
  } catch (err) {
    const error = new InvalidJobArgs(job.functionName, [], `the schema threw: ${oneLine(err)}`);
    return { kind: 'dead', category: 'invalid', error };
  }
}
