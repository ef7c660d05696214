/**
 * The typed API over a `defineJobs(...)` definition, usable without code generation: producers get
 * one method per job, workers one handler per job, each typed from the job's schemas. Queue, retries
 * and timeout are read from the live definition, so the generated files only re-export these types.
 */
import type { JobHandle, RabbitMQClient } from './client/client.js';
import type { JobArgs, JobArgsInput, JobDefinition, JobResult, JobsDefinition } from './define-jobs.js';
import { InvalidSettings } from './errors.js';
import type { ScheduleSpec } from './schedules/schedule.js';
import type { ClientSettings, EnqueueOptions, HandlerMap, JobHandler, WorkerState } from './types.js';

/** Job definitions by name, as `defineJobs` holds them. */
export type JobDefinitions = Record<string, JobDefinition>;

/**
 * One method per job: validates its arguments, publishes, resolves once the broker confirmed. With
 * a result store in the client's settings `S` each returns a `TrackedJob` typed by the job's result.
 */
export type EnqueueFunctions<J extends JobDefinitions, S = ClientSettings> = {
  [Name in keyof J & string]: (
    args: JobArgsInput<J[Name]>,
    options?: EnqueueOptions,
  ) => Promise<JobHandle<S, JobResult<J[Name]>>>;
};

/** One handler per job, taking the job's decoded arguments and returning its result. */
export type JobHandlers<J extends JobDefinitions, State extends WorkerState = WorkerState> = {
  [Name in keyof J & string]: JobHandler<JobArgs<J[Name]>, JobResult<J[Name]>, State>;
};

/**
 * `enqueue.processData({ ... })` for every job of `definition`, publishing through `client`: the
 * producer's side of `registerJobs`. The generated `createEnqueue(client)` calls it with the schema's jobs.
 */
export function bindJobs<J extends JobDefinitions, S extends ClientSettings = ClientSettings>(
  client: RabbitMQClient<S>,
  definition: JobsDefinition<J>,
): EnqueueFunctions<J, S> {
  const enqueue: Record<string, unknown> = {};
  for (const [name, job] of Object.entries(definition.jobs)) {
    const spec = { args: job.args, result: job.result, queue: job.queue ?? definition.queue };
    enqueue[name] = (args: Record<string, unknown>, options?: EnqueueOptions) =>
      client.enqueueJob(name, args, options, spec);
  }
  return enqueue as EnqueueFunctions<J, S>;
}

/**
 * The worker's `handlers` setting for `definition`: each handler registered with its job's schemas,
 * queue, retries and timeout. A job without a handler (possible from JavaScript) is refused here,
 * not when its first message arrives.
 */
export function registerJobs<J extends JobDefinitions, State extends WorkerState = WorkerState>(
  definition: JobsDefinition<J>,
  handlers: JobHandlers<J, State>,
): HandlerMap<State> {
  const registrations: HandlerMap<State> = {};
  const missing: string[] = [];
  for (const [name, job] of Object.entries(definition.jobs)) {
    const handler = (handlers as Record<string, HandlerMap<State>[string] | undefined>)[name];
    if (typeof handler !== 'function') {
      missing.push(name);
      continue;
    }
    const registration: Extract<HandlerMap<State>[string], { handler: unknown }> = { handler, args: job.args };
    if (job.result) registration.result = job.result;
    const queue = job.queue ?? definition.queue;
    if (queue !== undefined) registration.queue = queue;
    if (job.maxRetries !== undefined) registration.maxRetries = job.maxRetries;
    if (job.timeout !== undefined) registration.timeout = job.timeout;
    if (job.schedules !== undefined) registration.schedules = job.schedules as readonly ScheduleSpec[];
    registrations[name] = registration;
  }
  if (missing.length > 0) throw new InvalidSettings(`no handler for job(s) ${missing.join(', ')}`);
  const unknown = Object.keys(handlers).filter((name) => !(name in definition.jobs));
  if (unknown.length > 0) throw new InvalidSettings(`handler(s) for unknown job(s) ${unknown.join(', ')}`);
  return registrations;
}
