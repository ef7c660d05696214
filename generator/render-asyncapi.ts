/**
 * `generated/asyncapi.json`: an AsyncAPI 3.0 document of the queues and messages, with the AMQP
 * binding (0.3.0). One channel per queue, one message per job, one `send` operation per job. The
 * payload of a message is the whole body a producer publishes (the job's envelope, whose `kwargs`
 * is the job's args schema): a payload of the args alone would lead AsyncAPI tooling to publish
 * bodies the worker dead-letters. Retry, delay, dead-letter and queue-type facts that AsyncAPI has
 * no field for are `x-arq-*` extensions. Pure: data in, file contents out.
 */
import {
  DELAY_UNIT_MS,
  MAX_DELAY_MS,
  WIRE_VERSION,
  deadLetterQueueName,
  deadLetterQueueOptions,
  defaults,
  delayNames,
  mainQueueOptions,
} from 'rabbitmq-arq/internal';
import { compareStrings } from './model.js';
import type { JobModel, SchemaModel } from './model.js';
import { doNotEdit, embedSchema, jobEnvelopeSchema, jsonFile } from './render-json-schemas.js';

export const asyncApiFile = 'asyncapi.json';
const amqpBindingVersion = '0.3.0';
const headersSchemaKey = 'JobHeaders';

/** A channel of the document: a queue, or the client's default queue for jobs that name none. */
interface ChannelView {
  key: string;
  queue: string | undefined;
  jobs: JobModel[];
}

export function renderAsyncApi(model: SchemaModel): string {
  const keys = new KeyMaker();
  const jobKeys = new Map(model.jobs.map((job) => [job.name, keys.make(job.name)]));
  const jobKey = (job: JobModel): string => jobKeys.get(job.name) as string;
  const channels = channelViews(model, new KeyMaker());

  const schemas: Record<string, unknown> = { [headersSchemaKey]: headersSchema() };
  const messages: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  for (const job of model.jobs) {
    const key = jobKey(job);
    schemas[`${key}Args`] = embedSchema(job.argsJsonSchema, `#/components/schemas/${key}Args`);
    schemas[`${key}Message`] = jobEnvelopeSchema(job, { $ref: `#/components/schemas/${key}Args` });
    messages[key] = message(job, key);
  }
  const channelObjects: Record<string, unknown> = {};
  for (const channel of channels) {
    channelObjects[channel.key] = channelObject(channel, jobKey);
    for (const job of channel.jobs) operations[`send${upperFirst(jobKey(job))}`] = operation(job, channel, jobKey(job));
  }

  return jsonFile({
    asyncapi: '3.0.0',
    // AsyncAPI allows no `$comment` at its root; extensions are the place for anything else.
    'x-arq-comment': doNotEdit(model),
    info: {
      title: `Jobs of ${model.schemaDisplayPath}`,
      version: `${WIRE_VERSION}.0.0`,
      description: [
        `The job queues and messages of ${model.schemaDisplayPath}, as rabbitmq-arq workers consume them.`,
        `Each message body is the JSON envelope of docs/wire-format.md (wire format version ${WIRE_VERSION}), with the job's arguments in kwargs.`,
      ].join('\n\n'),
      'x-arq-generator': { name: 'arq-gen', version: model.generatorVersion },
    },
    defaultContentType: 'application/json',
    channels: channelObjects,
    operations,
    components: { schemas, messages },
  });
}

function channelViews(model: SchemaModel, keys: KeyMaker): ChannelView[] {
  const byQueue = new Map<string | undefined, JobModel[]>();
  for (const job of model.jobs) byQueue.set(job.effectiveQueue, [...(byQueue.get(job.effectiveQueue) ?? []), job]);
  // The client's default queue first, then the named queues in order.
  const queues = [...byQueue.keys()].sort((a, b) =>
    a === undefined ? -1 : b === undefined ? 1 : compareStrings(a, b),
  );
  return queues.map((queue) => ({
    key: queue === undefined ? keys.make('defaultQueue') : keys.make(queue),
    queue,
    jobs: byQueue.get(queue) as JobModel[],
  }));
}

function channelObject(channel: ChannelView, jobKey: (job: JobModel) => string): Record<string, unknown> {
  const { queue } = channel;
  const shownQueue = queue ?? '<defaultQueue>';
  const quorum = mainQueueOptions(shownQueue, 'quorum');
  return {
    address: queue ?? null,
    title: queue === undefined ? "The client's default queue" : `Queue ${queue}`,
    description:
      queue === undefined
        ? "Jobs that name no queue go to the client's default queue (ClientSettings.queue, `default` unless set); workers consume them from theirs (WorkerSettings.queue). Publish to the default exchange with the queue name as routing key."
        : `Publish to the default exchange ("") with routing key "${queue}". Its dead-letter queue is "${deadLetterQueueName(queue)}".`,
    messages: Object.fromEntries(
      channel.jobs.map((job) => [jobKey(job), { $ref: `#/components/messages/${jobKey(job)}` }]),
    ),
    bindings: {
      amqp: {
        is: 'queue',
        queue: {
          ...(queue === undefined ? {} : { name: queue }),
          durable: true,
          exclusive: false,
          autoDelete: false,
          vhost: '/',
        },
        bindingVersion: amqpBindingVersion,
      },
    },
    'x-arq-dead-letter-queue': deadLetterQueueName(shownQueue),
    'x-arq-queue-type': {
      default: defaults.queueType,
      note: "queueType is a setting of the client and the worker (ClientSettings.queueType, WorkerSettings.queueType), not of the schema; both must use the same, because RabbitMQ refuses to redeclare a queue with other arguments. 'classic' (durable, no arguments) is what the Python RabbitMQ-ARQ client declares and the only way to share a queue with it; a job that crashes its worker every time is then retried forever. A producer that only publishes must not declare the queue with other arguments: declare it passively, or not at all.",
      quorum: {
        arguments: quorum.arguments ?? {},
        deadLetterQueueArguments: deadLetterQueueOptions('quorum').arguments ?? {},
      },
      classic: { arguments: mainQueueOptions(shownQueue, 'classic').arguments ?? {}, deadLetterQueueArguments: {} },
    },
    'x-arq-delays': {
      ladder: `${delayNames(defaults.delayPrefix).deliver.replace(/\.deliver$/, '')}.*`,
      unitMs: DELAY_UNIT_MS,
      maxDelayMs: MAX_DELAY_MS,
      note: 'Deferred jobs (defer_until) and retries wait in the shared delay ladder (docs/topology.md), never in this queue, and come back no earlier than due; a job that arrives early is deferred again. A longer delay than maxDelayMs is refused at enqueue.',
    },
  };
}

function operation(job: JobModel, channel: ChannelView, key: string): Record<string, unknown> {
  const dlq = deadLetterQueueName(channel.queue ?? '<defaultQueue>');
  return {
    action: 'send',
    channel: { $ref: `#/channels/${channel.key}` },
    title: `Enqueue ${job.name}`,
    ...(job.description?.trim() ? { summary: job.description.trim().split(/\r\n|\r|\n/)[0] } : {}),
    messages: [{ $ref: `#/channels/${channel.key}/messages/${key}` }],
    bindings: {
      amqp: { deliveryMode: 2, mandatory: true, timestamp: true, bindingVersion: amqpBindingVersion },
    },
    'x-arq-max-retries': {
      value: job.maxRetries ?? defaults.maxRetries,
      setBy: job.maxRetries === undefined ? 'worker (maxRetries, default 3)' : 'job',
      note: `Attempts after the first. Every failure (an error, a timeout, Retry) uses one; the delay before a retry is retryBackoff (${defaults.retryBackoff} ms) doubled per attempt, jittered between half and all of it, capped by retryBackoffMax (${defaults.retryBackoffMax} ms), unless the handler throws Retry with its own delay. After the last attempt the job is dead-lettered to ${dlq}.`,
    },
    'x-arq-timeout': {
      ms: job.timeout ?? defaults.jobTimeout,
      setBy: job.timeout === undefined ? `worker (jobTimeout, default ${defaults.jobTimeout} ms)` : 'job',
    },
    ...(job.schedules.length > 0
      ? {
          'x-arq-schedules': job.schedules.map((schedule) => ({
            ...schedule,
            jobId: `cron:${job.name}:${schedule.name}:<tick ISO-8601>`,
            note: 'Fired by the workers, once per tick (docs/scheduling.md); do not enqueue these ticks yourself.',
          })),
        }
      : {}),
    'x-arq-dead-letter-queue': dlq,
    'x-arq-dead-letter': `Invalid messages (not JSON, unknown job, arguments that fail the schema, a newer wire version) go to ${dlq} at once with headers x-error-type, x-error-code, x-error-message and x-error-category (docs/wire-format.md); they are never retried.`,
  };
}

function message(job: JobModel, key: string): Record<string, unknown> {
  return {
    name: job.name,
    title: job.name,
    ...(job.description?.trim() ? { summary: job.description.trim().split(/\r\n|\r|\n/)[0] } : {}),
    contentType: 'application/json',
    headers: { $ref: `#/components/schemas/${headersSchemaKey}` },
    payload: { $ref: `#/components/schemas/${key}Message` },
    correlationId: {
      description: 'The job id; the AMQP message_id property carries it too.',
      location: '$message.payload#/job_id',
    },
    bindings: { amqp: { messageType: job.name, bindingVersion: amqpBindingVersion } },
    'x-arq-amqp-properties': {
      content_type: 'application/json',
      delivery_mode: 2,
      message_id: 'the job id (the body field job_id)',
      timestamp: 'enqueue_time in whole seconds since the epoch',
      type: job.name,
    },
  };
}

function headersSchema(): Record<string, unknown> {
  return {
    type: 'object',
    description:
      'AMQP headers of a job message. Trace headers (traceparent, tracestate, baggage) and your own headers are carried across retries and into the dead-letter queue.',
    properties: {
      'x-retry-count': {
        type: 'integer',
        minimum: 0,
        description:
          'job_try - 1 (0 for a new job); written for the Python original. Workers read it only when the body has no job_try.',
      },
      'x-arq-version': {
        type: 'integer',
        const: WIRE_VERSION,
        description: `The wire format's major version. A missing header means 1; a higher major version is dead-lettered as UnsupportedWireVersion.`,
      },
      traceparent: { type: 'string', description: 'W3C trace context, carried across retries.' },
      tracestate: { type: 'string', description: 'W3C trace context, carried across retries.' },
    },
    required: ['x-retry-count', 'x-arq-version'],
  };
}

function upperFirst(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Keys of AsyncAPI maps must match `^[A-Za-z0-9.\-_]+$`, while job and queue names may hold `$`,
 * letters beyond ASCII, `:` and more. Other characters are written as `_xHH_` (their UTF-8 bytes),
 * and a key already taken gets a numeric suffix, so every key is valid, stable and unique.
 */
class KeyMaker {
  private readonly taken = new Set<string>();

  make(name: string): string {
    const base = [...name]
      .map((character) =>
        /^[A-Za-z0-9.\-_]$/.test(character)
          ? character
          : [...Buffer.from(character, 'utf8')].map((byte) => `_x${byte.toString(16).padStart(2, '0')}_`).join(''),
      )
      .join('');
    let key = base;
    for (let suffix = 2; this.taken.has(key); suffix += 1) key = `${base}_${suffix}`;
    this.taken.add(key);
    return key;
  }
}
