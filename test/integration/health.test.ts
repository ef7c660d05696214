// The worker's health listener on a real broker: /metrics counts what the worker did, /healthz and
// /readyz answer as an orchestrator needs (not ready while shutting down, live until the end), and
// `rabbitmq-arq health` turns those answers into exit codes.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { NonRetryable } from '../../runtime/errors.js';
import { EVENT_LOOP_LAG_LIMIT_MS } from '../../runtime/worker/health-server.js';
import { closeAdmin, waitFor } from '../helpers/broker.js';
import { runRabbitmqArq } from '../helpers/cli.js';
import { startBrokerProxy } from '../helpers/tcp-proxy.js';
import { withWorker } from '../helpers/with-worker.js';
import type { FixtureWorkerSettings } from '../helpers/with-worker.js';

after(closeAdmin);

async function get(address: string, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://${address}${path}`);
  return { status: response.status, body: await response.text() };
}

/** The value of one sample line of the Prometheus text, e.g. `arq_jobs_completed_total{job="ok",queue="q"}`. */
function sample(exposition: string, series: string): number | undefined {
  const line = exposition.split('\n').find((text) => text.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const rabbitmqArqHealth = (...args: string[]) => runRabbitmqArq(['health', ...args]);

describe('health and metrics', () => {
  it('counts jobs on /metrics, answers /healthz and /readyz, and is not ready while it shuts down', async () => {
    const registry = new Registry();
    let release: () => void = () => undefined;
    const slowRelease = new Promise<void>((resolve) => (release = resolve));
    const settings: FixtureWorkerSettings = {
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
    };
    await withWorker(
      settings,
      async ({ worker, client, queue }) => {
        const address = worker.healthAddress;
        assert.ok(address, 'the worker reports where it listens');
        const port = address.split(':').at(-1)!;

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
        const live = await rabbitmqArqHealth('--port', port);
        assert.equal(live.code, 0, live.stderr);
        assert.match(live.stdout, /\/healthz: 200 ok/);
        assert.equal((await rabbitmqArqHealth('--ready', '--port', port)).code, 0);

        await client.enqueueJob('slow', {});
        assert.ok(await waitFor(async () => sample((await get(address, '/metrics')).body, 'arq_jobs_running') === 1));
        const closing = worker.close();
        assert.ok(
          await waitFor(async () => (await get(address, '/readyz')).status === 503, 5_000),
          '/readyz turns 503 as soon as the worker stops taking jobs',
        );
        assert.equal((await get(address, '/healthz')).status, 200, 'still live while the running job finishes');
        const notReady = await rabbitmqArqHealth('--ready', '--port', port);
        assert.equal(notReady.code, 1);
        assert.match(notReady.stderr, /\/readyz: 503 not ready/);

        release();
        await closing;
        assert.equal(worker.stats.completed, 4, 'the running job finished before the worker stopped');
        const gone = await rabbitmqArqHealth('--port', port);
        assert.equal(gone.code, 1);
        assert.match(gone.stderr, /no answer/);
      },
      { label: 'health' },
    );
  });

  it('answers /healthz 503 while the broker is cut off, and 200 again once it is back', async () => {
    const proxy = await startBrokerProxy();
    try {
      const settings = { url: proxy.url, healthPort: 0, healthHost: '127.0.0.1', handlers: { ok: () => 'fine' } };
      await withWorker(
        settings,
        async ({ worker, client }) => {
          const address = worker.healthAddress ?? assert.fail('the worker reports where it listens');
          assert.deepEqual(await get(address, '/healthz'), { status: 200, body: 'ok\n' });

          proxy.cut();
          let last: { status: number; body: string } | undefined;
          assert.ok(
            await waitFor(async () => (last = await get(address, '/healthz')).status === 503, 15_000),
            `/healthz still answers ${last?.status} with the broker cut`,
          );
          assert.equal(last?.body, 'broker connection down\n');

          proxy.restore();
          assert.ok(
            await waitFor(async () => (last = await get(address, '/healthz')).status === 200, 30_000),
            `/healthz answers ${last?.status} ${last?.body} after the broker came back`,
          );
          // Live again means consuming again: a job enqueued now (straight to the broker) is done.
          await client.enqueueJob('ok', {});
          assert.ok(await waitFor(() => worker.stats.completed === 1, 15_000), 'the worker consumes again');
        },
        { label: 'health-cut' },
      );
    } finally {
      await proxy.close();
    }
  });

  it('answers /healthz 503 to another process while a handler blocks the event loop', async () => {
    const blockMs = EVENT_LOOP_LAG_LIMIT_MS + 1_500;
    const settings = {
      healthPort: 0,
      healthHost: '127.0.0.1',
      handlers: {
        block: () => {
          // Synchronous on purpose: nothing else in this process runs until it returns.
          const end = Date.now() + blockMs;
          while (Date.now() < end);
        },
      },
    };
    await withWorker(
      settings,
      async ({ worker, client }) => {
        const address = worker.healthAddress ?? assert.fail('the worker reports where it listens');
        // The probe is another process: this one, worker and test alike, is frozen while the handler runs.
        const probe = spawn(process.execPath, ['-e', PROBE_SCRIPT, `http://${address}/healthz`], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let output = '';
        probe.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
        const exited = new Promise<number | null>((resolve) => probe.on('exit', resolve));
        try {
          assert.ok(await waitFor(() => output.startsWith('200 ok'), 10_000), `probe: ${output}`);
          await client.enqueueJob('block', {});
          assert.equal(await exited, 0, `the probe saw no 503 then 200: ${output}`);
        } finally {
          probe.kill();
        }
        const answers = output.trim().split('\n');
        const blocked = answers.find((line) => line.startsWith('503'));
        assert.ok(blocked, output);
        const behind = Number(/event loop (\d+) ms behind/.exec(blocked)?.[1]);
        assert.ok(behind > EVENT_LOOP_LAG_LIMIT_MS, blocked);
        assert.ok(answers.indexOf(blocked) < answers.findLastIndex((line) => line.startsWith('200')), output);
        assert.ok(await waitFor(() => worker.stats.completed === 1), 'the blocking job completed');
      },
      { label: 'health-blocked' },
    );
  });
});

/**
 * Polls the URL in argv[1] every 100 ms and prints `<status> <body>` per answer; exits 0 once a 503 was
 * followed by a 200, 1 after 60 s. Requests sent while the worker is frozen wait in its listen backlog.
 */
const PROBE_SCRIPT = `
const url = process.argv[1];
let saw503 = false;
const deadline = Date.now() + 60000;
(async () => {
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(20000) });
      const body = (await response.text()).trim();
      process.stdout.write(response.status + ' ' + body + '\\n');
      if (response.status === 503) saw503 = true;
      else if (saw503 && response.status === 200) process.exit(0);
    } catch (err) {
      process.stdout.write('error ' + err.message + '\\n');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  process.exit(1);
})();
`;
