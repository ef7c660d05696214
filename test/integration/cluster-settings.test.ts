// The settings of a cluster on the shared single-node broker: validate-config's count of the nodes it
// reached and its report of each job queue's replicas (from a stand-in management API, since the
// shared broker serves none), and x-quorum-initial-group-size as part of the queues' identity.
import * as assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { after, describe, it } from 'node:test';
import { RabbitMQClient } from '../../runtime/client/client.js';
import { BrokerConfigurationError } from '../../runtime/errors.js';
import { checkWorkerConfig } from '../../runtime/operations/validate-config.js';
import { deleteDelayLadder } from '../../runtime/topology/delay-topology.js';
import { AMQP_URL, closeAdmin, deleteJobQueue, uniqueName, withChannel } from '../helpers/broker.js';

after(closeAdmin);

const DEAD_NODE = 'amqp://guest:guest@127.0.0.1:1';
const handlers = { noop: () => undefined };

/** A management API that knows one queue, described as `described`; records the requests' headers. */
async function managementStandIn(queue: string, described: object) {
  const requests: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
  const server = createServer((request, response) => {
    requests.push({ url: request.url ?? '', headers: request.headers });
    const known = request.url === `/api/queues/%2F/${encodeURIComponent(queue)}`;
    response.writeHead(known ? 200 : 404, { 'content-type': 'application/json' });
    response.end(JSON.stringify(known ? described : { error: 'Object Not Found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('validate-config on a list of nodes', () => {
  it('says how many nodes of the list answer, naming the silent one without its password', async () => {
    const queue = uniqueName('cluster-nodes');
    const findings = await checkWorkerConfig(
      { url: [AMQP_URL, DEAD_NODE], queue, handlers },
      { connectionTimeout: 3_000 },
    );
    const nodes = findings.find((finding) => finding.text.startsWith('nodes:'));
    assert.deepEqual(nodes, {
      ok: false,
      text: 'nodes: reached 1 of 2; no answer from amqp://guest:***@127.0.0.1:1 (connect ECONNREFUSED 127.0.0.1:1)',
    });
    assert.ok(
      findings.some((finding) => finding.ok && finding.text.startsWith('broker: reachable at')),
      'the check itself goes on through the node that answers',
    );
    const all = await checkWorkerConfig({ url: [AMQP_URL, AMQP_URL], queue, handlers }, { connectionTimeout: 3_000 });
    assert.deepEqual(
      all.find((finding) => finding.text.startsWith('nodes:')),
      { ok: true, text: 'nodes: reached 2 of 2' },
    );
    const single = await checkWorkerConfig({ url: AMQP_URL, queue, handlers }, { connectionTimeout: 3_000 });
    assert.equal(single.filter((finding) => finding.text.startsWith('nodes:')).length, 0, 'one URL: no node count');
  });

  it("reports each job queue's leader and members from the management API, failing without a majority online", async () => {
    const queue = uniqueName('cluster-replicas');
    const members = ['rabbit@a', 'rabbit@b', 'rabbit@c'];
    const healthy = await managementStandIn(queue, {
      type: 'quorum',
      leader: 'rabbit@b',
      members,
      online: ['rabbit@a', 'rabbit@b'],
    });
    const lost = await managementStandIn(queue, { type: 'quorum', leader: 'rabbit@b', members, online: ['rabbit@b'] });
    try {
      const report = await checkWorkerConfig(
        { url: AMQP_URL, queue, handlers },
        { connectionTimeout: 3_000, managementUrl: healthy.url },
      );
      assert.deepEqual(
        report.find((finding) => finding.text.startsWith('replicas of')),
        {
          ok: true,
          text: `replicas of ${queue}: leader rabbit@b, members rabbit@a, rabbit@b, rabbit@c (2 of 3 online)`,
        },
      );
      assert.equal(
        healthy.requests[0]!.headers.authorization,
        `Basic ${Buffer.from('guest:guest').toString('base64')}`,
      );
      const degraded = await checkWorkerConfig(
        { url: AMQP_URL, queue, handlers },
        { connectionTimeout: 3_000, managementUrl: lost.url },
      );
      assert.deepEqual(
        degraded.find((finding) => finding.text.startsWith('replicas of')),
        {
          ok: false,
          text: `replicas of ${queue}: leader rabbit@b, members rabbit@a, rabbit@b, rabbit@c (1 of 3 online)`,
        },
      );
      const other = uniqueName('cluster-unknown');
      const missing = await checkWorkerConfig(
        { url: AMQP_URL, queue: other, handlers },
        { connectionTimeout: 3_000, managementUrl: healthy.url },
      );
      assert.deepEqual(
        missing.find((finding) => finding.text.startsWith('replicas of')),
        { ok: true, text: `replicas of ${other}: not declared yet` },
      );
    } finally {
      await healthy.close();
      await lost.close();
    }
  });
});

describe('quorumInitialGroupSize', () => {
  it('declares the argument on job queue, DLQ and ladder; the broker then refuses a declare without it (406)', async () => {
    const queue = uniqueName('group-size');
    const delayPrefix = uniqueName('ladder');
    const sized = new RabbitMQClient({ queue, delayPrefix, quorumInitialGroupSize: 1, logLevel: 'silent' });
    const unsized = new RabbitMQClient({ queue, delayPrefix, logLevel: 'silent' });
    try {
      await sized.enqueueJob('noop', {});
      // The argument is part of the queue's identity: the same declare without it is a configuration error.
      await assert.rejects(unsized.enqueueJob('noop', {}), (err: unknown) => {
        assert.ok(err instanceof BrokerConfigurationError);
        assert.match(err.message, new RegExp(`queue "${queue}"`));
        return true;
      });
      const findings = await checkWorkerConfig(
        { url: AMQP_URL, queue, delayPrefix, quorumInitialGroupSize: 1, handlers },
        { connectionTimeout: 3_000 },
      );
      const own = findings.filter((finding) => finding.text.startsWith(`queue ${queue}`));
      assert.equal(own.length, 2);
      for (const finding of own) assert.ok(finding.ok, finding.text);
      const without = await checkWorkerConfig(
        { url: AMQP_URL, queue, delayPrefix, handlers },
        { connectionTimeout: 3_000 },
      );
      assert.equal(without.find((finding) => finding.text.startsWith(`queue ${queue}:`))?.ok, false);
    } finally {
      await sized.close();
      await unsized.close();
      await deleteJobQueue(queue);
      await withChannel((channel) => deleteDelayLadder(channel, delayPrefix)).catch(() => undefined);
    }
  });
});
