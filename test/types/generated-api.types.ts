// Type tests of the generated API, over the edge-cases golden fixture. Never run: type-checked by
// test/generator/typecheck.test.ts (and `npm run typecheck`). Every `@ts-expect-error` line must
// fail to compile, or tsc reports the directive as unused.
import { expectTypeOf } from 'expect-type';
import type { Job, RabbitMQClient, TrackedJob, WithResultStore, WorkerSettings } from 'rabbitmq-arq';
import { createEnqueue, createWorker } from '../generator/fixtures/edge-cases/expected/generated/index.js';
import type {
  Enqueue,
  Handlers,
  ImportCatalogArgs,
  ImportCatalogArgsInput,
  ImportCatalogResult,
  JobName,
  SendNotificationResult,
} from '../generator/fixtures/edge-cases/expected/generated/index.js';
import { handlers } from '../generator/fixtures/edge-cases/expected/handlers/index.js';

const item = { sku: 'a-1', price: 3, addedAt: new Date() };
const owner = { name: 'Ada', email: null };

export async function enqueueChecks(client: RabbitMQClient): Promise<void> {
  const enqueue: Enqueue = createEnqueue(client);

  // What a correct call looks like: defaults left out, isoDate as a Date or an ISO string.
  const job = await enqueue.importCatalog({ source: 'https://example.com/c.json', owner, items: [item], prices: {} });
  expectTypeOf(job).toEqualTypeOf<Job<ImportCatalogResult>>();
  // @ts-expect-error: without a result store a job has no result() to wait for
  await job.result();
}

export async function trackedChecks(client: RabbitMQClient<WithResultStore>): Promise<void> {
  const enqueue: Enqueue<WithResultStore> = createEnqueue(client);
  const job = await enqueue.importCatalog({ source: 'https://example.com/c.json', owner, items: [item], prices: {} });
  expectTypeOf(job).toEqualTypeOf<TrackedJob<ImportCatalogResult>>();
  expectTypeOf(await job.result({ timeout: 1_000 })).toEqualTypeOf<{
    imported: number;
    skipped: { sku: string; reason: string }[];
    finishedAt: Date;
    warnings: string[] | null;
  }>();
  await enqueue.importCatalog({
    source: { bucket: 'b', key: 'k' },
    owner: { name: 'Ada', email: 'ada@example.com', address: { street: 's', city: 'c', postcode: null } },
    items: [{ ...item, addedAt: '2025-01-01T00:00:00Z', removedAt: null }],
    prices: { a: 1 },
    dimensions: [1, 2, 3],
    history: [{ kind: 'renamed', from: 'a', to: 'b' }],
    mode: 'replace',
    limit: null,
  });
  await enqueue.importCatalog(
    { source: 'https://example.com', owner, items: [item], prices: {} },
    { deferBy: 1_000, queue: 'elsewhere' },
  );
  await enqueue.delete({ ids: [1] });
  await enqueue.$ping({});

  // A missing field.
  // @ts-expect-error owner is required
  await enqueue.importCatalog({ source: 'https://example.com', items: [item], prices: {} });
  // @ts-expect-error ids is required
  await enqueue.delete({});
  // A wrong type.
  // @ts-expect-error ids holds numbers
  await enqueue.delete({ ids: ['1'] });
  // @ts-expect-error addedAt is an isoDate: a Date or a string, not a number
  await enqueue.importCatalog({ source: 'https://example.com', owner, items: [{ ...item, addedAt: 0 }], prices: {} });
  // A wrong enum value.
  // @ts-expect-error mode is 'merge' or 'replace'
  await enqueue.importCatalog({ source: 'https://example.com', owner, items: [item], prices: {}, mode: 'append' });
  // @ts-expect-error channel is 'email', 'sms' or 'push'
  await enqueue.sendNotification({ channel: 'fax', to: 'x', body: 'y' });
  // An unknown job.
  // @ts-expect-error there is no job named processData here
  await enqueue.processData({ dataId: 1 });
  // An extra field in an object literal, at the top and nested.
  // @ts-expect-error hard is known, force is not
  await enqueue.delete({ ids: [1], force: true });
  await enqueue.importCatalog({
    source: 'https://example.com',
    // @ts-expect-error address has no field planet
    owner: { ...owner, address: { street: 's', city: 'c', postcode: null, planet: 'Mars' } },
    items: [item],
    prices: {},
  });
  // Options are checked too.
  // @ts-expect-error there is no priority option
  await enqueue.delete({ ids: [1] }, { priority: 5 });

  expectTypeOf<JobName>().toEqualTypeOf<
    | '$ping'
    | '_internalSweep'
    | 'archiveReport'
    | 'delete'
    | 'importCatalog'
    | 'legacy_job'
    | 'sendNotification'
    | 'überweisung'
  >();
  // A job without a result schema has an unknown result.
  expectTypeOf<SendNotificationResult>().toEqualTypeOf<unknown>();
}

// Producer input and handler arguments differ where schemas have defaults and isoDate fields.
expectTypeOf<ImportCatalogArgsInput['mode']>().toEqualTypeOf<'merge' | 'replace' | undefined>();
expectTypeOf<ImportCatalogArgs['mode']>().toEqualTypeOf<'merge' | 'replace'>();
expectTypeOf<ImportCatalogArgsInput['items'][number]['addedAt']>().toEqualTypeOf<string | Date>();
expectTypeOf<ImportCatalogArgs['items'][number]['addedAt']>().toEqualTypeOf<Date>();
expectTypeOf<ImportCatalogArgs['limit']>().toEqualTypeOf<number | null>();
expectTypeOf<Parameters<Handlers['importCatalog']>[1]>().toEqualTypeOf<ImportCatalogArgs>();

export function workerChecks(settings: Omit<WorkerSettings, 'handlers'>): void {
  createWorker(settings, handlers);

  const { delete: _deleteHandler, ...withoutDelete } = handlers;
  // @ts-expect-error a missing handler does not compile
  createWorker(settings, withoutDelete);

  createWorker(settings, {
    ...handlers,
    // @ts-expect-error the result schema says { deleted: number } or 'nothing to delete'
    delete: async () => ({ deleted: 'all' }),
  });
  createWorker(settings, {
    ...handlers,
    // @ts-expect-error $ping must return 'pong'
    $ping: async () => 'ping',
  });
  createWorker(settings, {
    ...handlers,
    // Handlers see decoded arguments: isoDate fields are Dates, defaults are filled in.
    _internalSweep: async (_ctx, args) => {
      expectTypeOf(args.olderThan).toEqualTypeOf<Date>();
      expectTypeOf(args.batch).toEqualTypeOf<number>();
    },
    // A job without a result schema may return anything.
    sendNotification: async () => 42,
  });
}
