// The worker's health listener on a real broker: /metrics counts what the worker did, /healthz and
// /readyz answer as an orchestrator needs (not ready while shutting down, live until the end), and
// `rabbitmq-arq health` turns those answers into exit codes.
import * as assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { RabbitMQClient } from '../../runtime/client/client.js';
import { NonRetryable } from '../../runtime/errors.js';
import { closeAdmin, deleteJobQueue, uniqueName, waitFor } from '../helpers/broker.js';
import { startWorker } from '../helpers/worker-harness.js';
import { runRabbitmqArq } from '../helpers/cli.js';

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await closeAdmin();
});

async function get(address: string, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://${address}${path}`);
  return { status: response.status, body: await response.text() };
}

/** The value of one sample line of the Prometheus text, e.g. `arq_jobs_completed_total{job="ok",queue="q"}`. */
function sample(exposition: string, series: string): number | undefined {
  const line = exposition.split('\n').find((text) => text.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const arqGenHealth = (...args: string[]) => runRabbitmqArq(['health', ...args]);

describe('health and metrics', () => {
  it('counts jobs on /metrics, answers /healthz and /readyz, and is not ready while it shuts down', async () => {
    const queue = uniqueName('health');
    cleanups.push(() => deleteJobQueue(queue));
    const registry = new Registry();
    let release: () => void = () => undefined;
    const slowRelease = new Promise<void>((resolve) => (release = resolve));
    const { worker } = await startWorker({
      queue,
      healthPort: 0,
      healthHost: '127.0.0.1',
      metricsRegistry: registry,
      handlers: {
        ok: () => 'fine',
        refuse: () => {
          throw new NonRetryable('no');
        },
        slow: () => slowRelease,
      },
    });
    cleanups.push(() => worker.close());
    const address = worker.healthAddress;
    assert.ok(address, 'the worker reports where it listens');
    const port = address.split(':').at(-1)!;

    const client = new RabbitMQClient({ queue, logLevel: 'silent' });
    cleanups.push(() => client.close());
    for (let i = 0; i < 3; i++) await client.enqueueJob('ok', {});
    await client.enqueueJob('refuse', {});
    assert.ok(await waitFor(() => worker.stats.completed === 3 && worker.stats.deadLettered === 1, 15_000));

    const metrics = await get(address, '/metrics');
    assert.equal(metrics.status, 200);
    const labels = (job: string) => `job="${job}",queue="${queue}"`;
    assert.equal(sample(metrics.body, `arq_jobs_completed_total{${labels('ok')}}`), 3);
    assert.equal(sample(metrics.body, `arq_jobs_failed_total{${labels('refuse')}}`), 1);
    assert.equal(sample(metrics.body, `arq_jobs_dead_lettered_total{${labels('refuse')}}`), 1);
    assert.equal(sample(metrics.body, `arq_job_duration_seconds_count{${labels('ok')},status="complete"}`), 3);
    assert.equal(sample(metrics.body, `arq_job_start_latency_seconds_count{${labels('ok')}}`), 3);
    assert.equal(sample(metrics.body, 'arq_jobs_running'), 0);
    assert.ok(registry.getSingleMetric('arq_jobs_completed_total'), "the metrics live in the user's registry");

    assert.deepEqual(await get(address, '/healthz'), { status: 200, body: 'ok\n' });
    assert.deepEqual(await get(address, '/readyz'), { status: 200, body: 'ready\n' });
    assert.equal((await get(address, '/nothing')).status, 404);
    const live = await arqGenHealth('--port', port);
    assert.equal(live.code, 0, live.stderr);
    assert.match(live.stdout, /\/healthz: 200 ok/);
    assert.equal((await arqGenHealth('--ready', '--port', port)).code, 0);

    await client.enqueueJob('slow', {});
    assert.ok(await waitFor(async () => sample((await get(address, '/metrics')).body, 'arq_jobs_running') === 1));
    const closing = worker.close();
    assert.ok(
      await waitFor(async () => (await get(address, '/readyz')).status === 503, 5_000),
      '/readyz turns 503 as soon as the worker stops taking jobs',
    );
    assert.equal((await get(address, '/healthz')).status, 200, 'still live while the running job finishes');
    const notReady = await arqGenHealth('--ready', '--port', port);
    assert.equal(notReady.code, 1);
    assert.match(notReady.stderr, /\/readyz: 503 not ready/);

    release();
    await closing;
    assert.equal(worker.stats.completed, 4, 'the running job finished before the worker stopped');
    const gone = await arqGenHealth('--port', port);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /no answer/);
  });
});
