/**
 * The RabbitMQ management API, for what AMQP cannot see (unacked counts, a quorum queue's members and
 * leader). Credentials come from the management URL, else from the AMQP URL, else guest/guest.
 */
import { ManagementApiError } from '../errors.js';

/** `GET /api/queues/<vhost>/<queue>`: the queue as the management API describes it. */
export async function managementQueue<T>(
  managementUrl: string,
  vhost: string,
  queue: string,
  amqpUrl: string | undefined,
): Promise<T> {
  const base = new URL(managementUrl);
  const credentials = base.username ? base : amqpUrl ? new URL(amqpUrl) : undefined;
  const user = decodeURIComponent(credentials?.username || 'guest');
  const password = decodeURIComponent(credentials?.password || 'guest');
  base.username = '';
  base.password = '';
  const url = new URL(
    `api/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(queue)}`,
    base.href.replace(/\/?$/, '/'),
  );
  const response = await fetch(url, {
    headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok)
    throw new ManagementApiError(
      response.status,
      `management API ${url.origin} answered ${response.status} for queue "${queue}"`,
    );
  return (await response.json()) as T;
}
