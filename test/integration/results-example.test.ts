// examples/results-http.ts, the README's "results" example, runs and answers as documented. It runs on
// the in-process broker (AMQP_URL=memory://…) so its shared queue names (default, reports) cannot meet
// another test's worker; its records go to the real Redis.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { REDIS_URL } from '../helpers/redis.js';

const example = new URL('../../examples/results-http.ts', import.meta.url).pathname;
const jobIds: string[] = [];

after(async () => {
  const redis = new Redis(REDIS_URL);
  if (jobIds.length > 0) await redis.del(...jobIds.map((id) => `arq:job:${id}`));
  redis.disconnect();
});

describe('examples/results-http.ts', () => {
  it('awaits a typed result in a Fastify route, and serves the status, the result and 404s', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', example], {
      env: { ...process.env, PORT: '0', AMQP_URL: 'memory://results-example', REDIS_URL },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(child, 'exit');
    try {
      const lines = createInterface({ input: child.stdout });
      let address: string | undefined;
      for await (const line of lines) {
        address = /listening on (http:\/\/\S+)/.exec(line)?.[1];
        if (address) break;
      }
      assert.ok(address, 'the example printed its address');

      const posted = await fetch(`${address}/orders/A-1001/report`, { method: 'POST' });
      assert.equal(posted.status, 200);
      const { jobId, report } = (await posted.json()) as { jobId: string; report: Record<string, unknown> };
      jobIds.push(jobId);
      assert.equal(report.orderId, 'A-1001');
      assert.equal(report.totalCents, 4_500);

      const info = (await (await fetch(`${address}/jobs/${jobId}`)).json()) as { status: string; tries: number };
      assert.equal(info.status, 'complete');
      assert.equal(info.tries, 1);
      const result = (await (await fetch(`${address}/jobs/${jobId}/result?wait=1`)).json()) as {
        result: { totalCents: number };
      };
      assert.equal(result.result.totalCents, 4_500);
      assert.equal((await fetch(`${address}/jobs/no-such-job`)).status, 404);
      assert.deepEqual(await (await fetch(`${address}/jobs/${jobId}`, { method: 'DELETE' })).json(), {
        aborted: false,
      });
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
