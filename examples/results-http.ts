/**
 * Awaiting a job's result from an HTTP handler (Fastify): `npx tsx examples/results-http.ts`, then
 *
 *   curl -X POST localhost:3000/orders/A-1001/report      # waits up to 5 s for the report, else 202 + job id
 *   curl localhost:3000/jobs/<id>                         # the job's status and record
 *   curl 'localhost:3000/jobs/<id>/result?wait=10'        # its result, waiting up to 10 s
 *   curl -X DELETE localhost:3000/jobs/<id>               # abort it
 *
 * RabbitMQ at AMQP_URL, Redis at REDIS_URL (defaults: localhost). A worker runs in this process so
 * the example is self-contained; in production it is its own deployment (`rabbitmq-arq worker`) with the
 * same `resultStore`. PORT picks the port (0: any free one; the address is printed).
 */
import Fastify from 'fastify';
import { JobFailed, JobNotFound, RabbitMQClient, ResultTimeout } from 'rabbitmq-arq';
import jobs from '../jobs.schema.js';
import { createEnqueue, createWorker } from '../generated/index.js';
import { handlers } from '../handlers/index.js';

const resultStore = process.env.REDIS_URL || 'redis://localhost:6379/0';
const url = process.env.AMQP_URL || 'amqp://guest:guest@localhost:5672';

// `resultStore` in the settings is what gives every enqueue a TrackedJob with a typed result().
const client = new RabbitMQClient({ url, resultStore, logLevel: 'warn' });
const enqueue = createEnqueue(client);
const worker = createWorker({ url, resultStore, handleSignals: false, statsInterval: 0, logLevel: 'warn' }, handlers);
const running = worker.run();

const app = Fastify();

app.post<{ Params: { orderId: string } }>('/orders/:orderId/report', async (request, reply) => {
  const job = await enqueue.buildOrderReport({
    orderId: request.params.orderId,
    placedAt: new Date(),
    customer: { name: 'Ada', email: 'ada@example.com', vip: true },
    lines: [{ sku: 'book', quantity: 2, unitPriceCents: 2_500 }],
  });
  try {
    // Typed by the job's result schema: report.placedAt is a Date, report.totalCents a number.
    const report = await job.result({ timeout: 5_000 });
    return { jobId: job.jobId, report };
  } catch (err) {
    if (err instanceof ResultTimeout) return reply.code(202).send({ jobId: job.jobId, status: await job.status() });
    if (err instanceof JobFailed)
      return reply
        .code(502)
        .send({ jobId: job.jobId, status: err.status, errorType: err.errorType, message: err.message });
    throw err;
  }
});

app.get<{ Params: { id: string } }>('/jobs/:id', async (request, reply) => {
  const job = await client.getJob(request.params.id);
  const info = await job?.info();
  return info ?? reply.code(404).send({ error: 'no such job' });
});

app.get<{ Params: { id: string }; Querystring: { wait?: string } }>('/jobs/:id/result', async (request, reply) => {
  const job = await client.getJob(request.params.id, jobs.jobs.buildOrderReport.result);
  if (!job) return reply.code(404).send({ error: 'no such job' });
  try {
    return { result: await job.result({ timeout: Number(request.query.wait ?? 0) * 1_000 }) };
  } catch (err) {
    if (err instanceof ResultTimeout) return reply.code(202).send({ status: await job.status() });
    if (err instanceof JobFailed || err instanceof JobNotFound) return reply.code(409).send({ error: err.message });
    throw err;
  }
});

app.delete<{ Params: { id: string } }>('/jobs/:id', async (request, reply) => {
  const job = await client.getJob(request.params.id);
  if (!job) return reply.code(404).send({ error: 'no such job' });
  return { aborted: await job.abort() };
});

const address = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
console.log(`results example listening on ${address}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    void (async () => {
      await app.close();
      await worker.close();
      await running;
      await client.close();
    })();
  });
