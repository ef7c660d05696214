import { Command, Option } from 'clipanion';
import { InvalidModule, InvalidSettings, RabbitMQClient, UncheckedEnqueueRefused } from '../runtime/index.js';
import type { JobSpec, JobsDefinition } from '../runtime/index.js';
import { parseDuration } from '../runtime/settings/parse-text.js';
import { BrokerCommand } from './command-support.js';
import { loadExport } from './load-module.js';

/** `rabbitmq-arq enqueue <job> --args '<json>'`: publishes one job (validated when a schema is given) and prints its id. */
export class EnqueueCommand extends BrokerCommand {
  static override paths = [['enqueue']];

  static override usage = Command.Usage({
    description: 'Enqueue one job and print its id',
    details: `
      With --schema the job name and its arguments are checked against the job's Zod schema and the
      job goes to its own queue; an unknown job or invalid arguments exit 1 and publish nothing. Without
      a schema nothing can tell a typo from a job some worker runs (a worker dead-letters a job it does
      not know as UNKNOWN_JOB), so the command refuses unless --unchecked says to publish it as given.
    `,
    examples: [
      [
        'Validated against jobs.schema.ts',
        `$0 enqueue processData --args '{"dataId":1,"action":"process","payload":"x"}' --schema jobs.schema.ts`,
      ],
      [
        'Run in 30 seconds, with a chosen id',
        `$0 enqueue cleanupExpired --args '{}' --defer 30s --job-id nightly-1 --schema jobs.schema.ts`,
      ],
      ['Published as given, with no schema to check it', `$0 enqueue sendReport --args '{"day":"monday"}' --unchecked`],
    ],
  });

  job = Option.String({ name: 'job' });
  args = Option.String('-a,--args', '{}', { description: 'Arguments as a JSON object' });
  defer = Option.String('--defer', { description: 'Run no earlier than this from now (duration)' });
  jobId = Option.String('--job-id', { description: 'Job id (default: a new one)' });
  queue = Option.String('-q,--queue', { description: "Queue (default: the job's, else default)" });
  schema = Option.String('--schema', { description: 'jobs.schema.ts (path[:export]) to validate against' });
  queueType = Option.String('--queue-type', { description: 'quorum or classic, as the workers declare it' });
  unchecked = Option.Boolean('--unchecked', false, {
    description: 'Publish without a schema: neither the job name nor its arguments are checked',
  });

  protected async run(): Promise<number> {
    if (!this.schema && !this.unchecked) throw new UncheckedEnqueueRefused(this.job);
    const args = parseArgs(this.args);
    const spec = this.schema ? await this.jobSpec(this.schema) : {};
    const client = new RabbitMQClient({
      ...this.connectionSettings(),
      ...(this.queueType ? { queueType: this.queueType as 'quorum' | 'classic' } : {}),
    });
    try {
      const job = await client.enqueueJob(
        this.job,
        args,
        {
          ...(this.defer === undefined ? {} : { deferBy: parseDuration(this.defer, '--defer') }),
          ...(this.jobId === undefined ? {} : { jobId: this.jobId }),
          ...(this.queue === undefined ? {} : { queue: this.queue }),
        },
        spec,
      );
      this.context.stdout.write(`${job.jobId}\n`);
      return 0;
    } finally {
      await client.close();
    }
  }

  private async jobSpec(schemaSpec: string): Promise<JobSpec> {
    const { value, where } = await loadExport(schemaSpec, process.cwd(), 'schema module');
    const definition = value as JobsDefinition;
    if (typeof definition !== 'object' || definition === null || typeof definition.jobs !== 'object')
      throw new InvalidModule(`${where} is not a defineJobs({ ... }) definition`);
    const job = definition.jobs[this.job];
    if (!job)
      throw new InvalidSettings(
        `${where} has no job "${this.job}"; its jobs are ${Object.keys(definition.jobs).join(', ')}`,
      );
    return { args: job.args, queue: job.queue ?? definition.queue };
  }
}

function parseArgs(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidSettings(`--args is not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InvalidSettings("--args must be a JSON object of the job's arguments, e.g. '{\"dataId\": 1}'");
  return value as Record<string, unknown>;
}
