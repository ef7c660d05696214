// The operator functions' own errors, each with its code (docs/errors.md): a queue that does not exist,
// and a management API that refuses.
import * as assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { ManagementApiError, QueueNotFound, inspectQueue, purgeQueue, replayDeadLetters } from '../../runtime/index.js';
import { AMQP_URL, closeAdmin, queueDepth, uniqueName } from '../helpers/broker.js';

after(() => closeAdmin());

const settings = { url: AMQP_URL, connectionTimeout: 5_000, logLevel: 'silent' } as const;

describe('operator errors', () => {
  it('purgeQueue and replayDeadLetters on a missing queue: QueueNotFound, and nothing is declared', async () => {
    const queue = uniqueName('missing');
    const missing = (hint: RegExp) => (err: unknown) =>
      err instanceof QueueNotFound && err.code === 'QUEUE_NOT_FOUND' && err.queue === queue && hint.test(err.message);
    await assert.rejects(purgeQueue(queue, settings), missing(/^queue "[^"]+" does not exist$/));
    await assert.rejects(
      replayDeadLetters(queue, { ...settings, select: { all: true } }),
      missing(/does not exist; start its worker once/),
    );
    assert.equal(await queueDepth(queue), undefined, 'the queue is not declared as a side effect');
  });

  it('inspectQueue with a management API that answers 401: ManagementApiError with the status', async () => {
    const server = createServer((_request, response) => response.writeHead(401).end('{"error":"not_authorised"}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      await assert.rejects(
        inspectQueue(uniqueName('info'), { ...settings, managementUrl: `http://127.0.0.1:${port}` }),
        (err: unknown) =>
          err instanceof ManagementApiError &&
          err.code === 'MANAGEMENT_API' &&
          err.status === 401 &&
          /answered 401 for queue/.test(err.message),
      );
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
