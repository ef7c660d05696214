/**
 * Schedules as declared on a job (docs/scheduling.md): a cron expression, its time zone, the
 * arguments each tick runs with, and what to do about ticks missed while no worker ran. Checked in
 * one place for the generator (at generate time, job and line named) and the worker (at start).
 * Tick times come from croner, which does the calendar and daylight-saving arithmetic.
 */
import { Cron } from 'croner';
import type { z } from 'zod';
import { InvalidSchedule, oneLine } from '../errors.js';

/** One schedule of a job. */
export interface ScheduleSpec<Args = Record<string, unknown>> {
  /** Five fields (minute precision) or six (seconds first), e.g. `0 * * * *` or `*\/10 * * * * *`. */
  cron: string;
  /** IANA time zone the expression is read in. @defaultValue `UTC` */
  tz?: string;
  /** Arguments of every tick's job, checked against the job's schema. @defaultValue `{}` */
  args?: Args;
  /**
   * Ticks more than `MISFIRE_GRACE_MS` late when a worker takes over (no worker ran): `skip` them,
   * or run the `latest` of them once. Later ticks always run. @defaultValue `skip`
   */
  catchUp?: 'skip' | 'latest';
  /** Stable name, part of each tick's job id; needed to tell two schedules of one job apart. @defaultValue its index */
  name?: string;
}

/** A tick this late or less still runs after a takeover; older ones are missed (see `catchUp`). */
export const MISFIRE_GRACE_MS = 10_000;

export interface CompiledSchedule {
  /** `<job>:<name>`, unique in the worker. */
  key: string;
  job: string;
  name: string;
  cron: string;
  tz: string;
  args: Record<string, unknown>;
  catchUp: 'skip' | 'latest';
  /** The first tick strictly after `after`, or undefined if there is none. */
  next(after: Date): Date | undefined;
  /** The last tick strictly before `before`. */
  previous(before: Date): Date | undefined;
}

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** What is wrong with `spec` as a schedule of a job whose arguments `args` parses; empty when nothing. */
export function scheduleProblems(spec: unknown, args: z.ZodType | undefined): string[] {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
    return ['must be an object like { cron: "0 * * * *" }'];
  const { cron, tz, catchUp, name } = spec as Record<string, unknown>;
  const problems: string[] = [];
  const known = new Set(['cron', 'tz', 'args', 'catchUp', 'name']);
  for (const key of Object.keys(spec)) if (!known.has(key)) problems.push(`unknown key "${key}"`);
  if (typeof cron !== 'string') problems.push('cron must be a string such as "0 * * * *"');
  else {
    try {
      new Cron(cron, { paused: true });
    } catch (err) {
      problems.push(`cron "${cron}" is not a valid expression: ${oneLine(err).replace(/^CronPattern: /, '')}`);
    }
  }
  if (tz !== undefined && (typeof tz !== 'string' || !validTimeZone(tz)))
    problems.push(`tz ${JSON.stringify(tz)} is not an IANA time zone such as "Europe/Berlin"`);
  if (catchUp !== undefined && catchUp !== 'skip' && catchUp !== 'latest')
    problems.push(`catchUp must be "skip" or "latest", not ${JSON.stringify(catchUp)}`);
  if (name !== undefined && (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(name)))
    problems.push('name must be 1 to 64 letters, digits, "-" or "_"');
  const given = (spec as { args?: unknown }).args ?? {};
  if (args) {
    const parsed = args.safeParse(given);
    if (!parsed.success)
      problems.push(
        `args fail the job's schema: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`,
      );
  }
  return problems;
}

/** A checked schedule with its tick arithmetic. Throws InvalidSchedule with the problems if `spec` is not valid. */
export function compileSchedule(
  job: string,
  index: number,
  spec: ScheduleSpec,
  args: z.ZodType | undefined,
): CompiledSchedule {
  const problems = scheduleProblems(spec, args);
  if (problems.length > 0) throw new InvalidSchedule(`schedule ${index} of job "${job}": ${problems.join('; ')}`);
  const tz = spec.tz ?? 'UTC';
  const cron = new Cron(spec.cron, { paused: true, timezone: tz });
  const name = spec.name ?? String(index);
  return {
    key: `${job}:${name}`,
    job,
    name,
    cron: spec.cron,
    tz,
    args: (spec.args ?? {}) as Record<string, unknown>,
    catchUp: spec.catchUp ?? 'skip',
    next: (after) => cron.nextRun(after) ?? undefined,
    previous: (before) => cron.previousRuns(1, before)[0],
  };
}

/** The job id of one tick: the same on every worker, so a tick can be told apart from its duplicate. */
export function tickJobId(schedule: Pick<CompiledSchedule, 'key'>, tick: Date): string {
  return `cron:${schedule.key}:${tick.toISOString()}`;
}

/** The tick time a job id of `tickJobId` carries, or undefined for any other id. */
export function tickOfJobId(jobId: string): Date | undefined {
  if (!jobId.startsWith('cron:')) return undefined;
  const match = /:(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)$/.exec(jobId);
  return match ? new Date(match[1] as string) : undefined;
}

/** The schedule among `schedules` whose tick `jobId` is, with that tick; undefined for any other job id. */
export function tickOf(
  schedules: readonly CompiledSchedule[],
  jobId: string,
): { schedule: CompiledSchedule; tick: Date } | undefined {
  const tick = tickOfJobId(jobId);
  if (!tick) return undefined;
  const schedule = schedules.find((candidate) => tickJobId(candidate, tick) === jobId);
  return schedule && { schedule, tick };
}

/**
 * Whether a tick's job that a graceful stop sent back may still run at `now`: by the rule the
 * scheduler applies to ticks it missed, it runs if it is at most MISFIRE_GRACE_MS late, or, with
 * `catchUp: 'latest'`, if no later tick of its schedule is older than that too.
 */
export function returnedTickRuns(schedule: CompiledSchedule, tick: Date, now: Date): boolean {
  const graceStart = now.getTime() - MISFIRE_GRACE_MS;
  if (tick.getTime() > graceStart) return true;
  if (schedule.catchUp !== 'latest') return false;
  const later = schedule.next(tick);
  return !later || later.getTime() > graceStart;
}

/**
 * Ticks to fire at `now` for a schedule last fired at `lastFired` (undefined: never, or unknown,
 * and then none: the caller starts the schedule at `now`): every tick after it that is at most MISFIRE_GRACE_MS late, in order, and with `catchUp: 'latest'`
 * first the latest older tick missed since `lastFired`. Older ticks are skipped.
 */
export function dueTicks(schedule: CompiledSchedule, lastFired: Date | undefined, now: Date): Date[] {
  const graceStart = new Date(now.getTime() - MISFIRE_GRACE_MS);
  // Never fired (a new schedule, or its lease was deleted): it starts now, with no catching up.
  if (!lastFired) return [];
  const from = lastFired > graceStart ? lastFired : graceStart;
  const due: Date[] = [];
  for (let tick = schedule.next(from); tick && tick <= now; tick = schedule.next(tick)) due.push(tick);
  if (schedule.catchUp === 'latest' && lastFired < graceStart) {
    const missed = schedule.previous(new Date(graceStart.getTime() + 1));
    if (missed && missed > lastFired && missed <= graceStart) due.unshift(missed);
  }
  return due;
}
