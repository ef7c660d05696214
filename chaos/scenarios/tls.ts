/**
 * 8. TLS on the private node (certificates made with openssl, chaos/certificates.ts): a client with
 * the `tls` setting and a worker process with the `ARQ_TLS_*` variables connect with amqps:// and
 * run jobs over it; a wrong CA, a missing server name and a missing client certificate each fail at
 * once (well inside the connection timeout) with one line that names the setting to fix.
 */
import { join } from 'node:path';
import { RabbitMQClient } from '../../runtime/index.js';
import type { TlsSettings } from '../../runtime/index.js';
import type { PrivateBroker } from '../private-broker.js';
import type { Scenario } from '../scenario.js';
import { countCompletions, run, scratchDir, startWorker, stopWorker, uniqueName, waitFor } from '../harness.js';

const JOBS = 200;
/** A refusal must come this fast; the connection timeout is 30 s. */
const AT_ONCE_MS = 5_000;

async function refusal(url: string, tls: TlsSettings): Promise<{ ms: number; line: string }> {
  const client = new RabbitMQClient({ url, tls, queue: uniqueName('tls-refused'), logLevel: 'silent' });
  const started = Date.now();
  try {
    await client.enqueueJob('work', { n: 0 });
    return { ms: Date.now() - started, line: 'CONNECTED (expected a refusal)' };
  } catch (err) {
    return { ms: Date.now() - started, line: err instanceof Error ? err.message : String(err) };
  } finally {
    await client.close();
  }
}

export function tlsConnections(broker: () => Promise<PrivateBroker>): Scenario {
  return {
    name: 'TLS with a self-signed CA',
    async run() {
      const node = await broker();
      const certs = node.certificates;
      const queue = uniqueName('tls');
      const log = join(scratchDir(), 'completions');
      const good: TlsSettings = {
        caFile: certs.ca,
        certFile: certs.clientCert,
        keyFile: certs.clientKey,
        servername: 'localhost',
      };
      const worker = startWorker({
        URL: node.tlsUrl,
        QUEUE: queue,
        LOG: log,
        NAME: queue,
        ARQ_TLS_CA_FILE: certs.ca,
        ARQ_TLS_CERT_FILE: certs.clientCert,
        ARQ_TLS_KEY_FILE: certs.clientKey,
        ARQ_TLS_SERVERNAME: 'localhost',
      });
      const client = new RabbitMQClient({
        url: node.tlsUrl,
        tls: good,
        queue,
        connectionName: `${queue} client`,
        logLevel: 'silent',
      });
      try {
        await worker.ready;
        await client.enqueueJobs(Array.from({ length: JOBS }, (_, n) => ({ name: 'work', args: { n } })));
        const ran = await waitFor(() => countCompletions(log).distinct.size === JOBS, 30_000, 100);
        const listed = await run('rabbitmqctl', [
          '-q',
          '-n',
          node.node,
          'list_connections',
          'ssl',
          'client_properties',
        ]);
        // The worker's and the client's connections, found by the names they gave.
        const ours = listed.stdout.split('\n').filter((line) => line.includes(queue));
        const allTls = ours.length === 2 && ours.every((line) => line.startsWith('true\t'));

        const failures = {
          'wrong CA': await refusal(node.tlsUrl, { ...good, caFile: certs.otherCa }),
          'no servername for 127.0.0.1': await refusal(node.tlsUrl, { ...good, servername: undefined }),
          'no client certificate': await refusal(node.tlsUrl, { caFile: certs.ca, servername: 'localhost' }),
        };
        const wrongCaWorker = startWorker({
          URL: node.tlsUrl,
          QUEUE: queue,
          LOG: log,
          NAME: `${queue}-wrong-ca`,
          ARQ_TLS_CA_FILE: certs.otherCa,
          ARQ_TLS_CERT_FILE: certs.clientCert,
          ARQ_TLS_KEY_FILE: certs.clientKey,
          ARQ_TLS_SERVERNAME: 'localhost',
        });
        wrongCaWorker.ready.catch(() => undefined);
        const workerStarted = Date.now();
        const code = await Promise.race([wrongCaWorker.exited, waitFor(() => false, 20_000).then(() => 'running')]);
        const workerMs = Date.now() - workerStarted;
        if (code === 'running') wrongCaWorker.child.kill('SIGKILL');
        const workerLines = wrongCaWorker.output.filter((line) => line.trim() !== '');

        const fast = Object.values(failures).every(({ ms, line }) => ms < AT_ONCE_MS && !line.includes('\n'));
        const named =
          /ARQ_TLS_CA_FILE/.test(failures['wrong CA'].line) &&
          /servername/.test(failures['no servername for 127.0.0.1'].line) &&
          /client certificate/.test(failures['no client certificate'].line);
        const workerOk = code === 1 && workerLines.length === 1 && /ARQ_TLS_CA_FILE/.test(workerLines[0] ?? '');
        const summary = Object.entries(failures)
          .map(([what, { ms }]) => `${what} refused in ${ms} ms`)
          .join(', ');
        return {
          ok: ran && allTls && fast && named && workerOk,
          line: `${countCompletions(log).distinct.size}/${JOBS} jobs over amqps:// (${ours.length} connections, ${allTls ? 'all' : 'NOT all'} TLS); ${summary}; worker with a wrong CA exited ${code} in ${workerMs} ms with ${workerLines.length} line: ${workerLines[0] ?? ''}`,
        };
      } finally {
        await stopWorker(worker);
        await client.close();
      }
    },
  };
}
