/**
 * Which node of the broker's list the connection dials next.
 *
 * amqplib 2.x's `connect` takes one URL, and its recovery dials that same argument on every attempt
 * (a string is parsed afresh each time; an object's fields are read afresh each time). So the
 * runtime hands amqplib `address`, an object in amqplib's URL-object form whose fields are those of
 * the current node, and moves to the next node whenever an attempt fails or a connection is lost:
 * amqplib's own backoff and `setup` hook then run against the next node, and no reconnect loop of
 * ours exists. The start is picked at random, so the workers of a deployment spread over the nodes.
 */
import { randomInt } from 'node:crypto';
import type { Options } from 'amqplib';
import { redactUrl } from '../logger.js';

/** One node in the form amqplib's `connect` takes instead of a URL string (without `credentials`). */
export type NodeAddress = Omit<Options.Connect, 'credentials'>;

/**
 * The fields amqplib's `connect` reads from a URL string, read here from one node's URL the same
 * way: the query parameters it honours, credentials decoded (guest/guest when the URL has none),
 * the vhost still escaped (amqplib unescapes it), `heartbeat` in seconds unless the URL sets it.
 */
export function nodeAddress(url: string, heartbeatMs: number): NodeAddress {
  const parsed = new URL(url);
  const query = parsed.searchParams;
  const number = (name: string): number | undefined => (query.has(name) ? Number(query.get(name)) : undefined);
  const address: NodeAddress = {
    protocol: parsed.protocol.replace(/:$/, ''),
    hostname: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port ? Number(parsed.port) : parsed.protocol === 'amqps:' ? 5671 : 5672,
    vhost: parsed.pathname.length > 1 ? parsed.pathname.slice(1) : '',
    heartbeat: number('heartbeat') ?? Math.ceil(heartbeatMs / 1000),
  };
  if (parsed.username !== '' || parsed.password !== '') {
    address.username = decodeURIComponent(parsed.username);
    address.password = decodeURIComponent(parsed.password);
  }
  for (const name of ['frameMax', 'channelMax', 'maxFrameSize'] as const) {
    const value = number(name);
    if (value !== undefined) address[name] = value;
  }
  const locale = query.get('locale');
  if (locale !== null) address.locale = locale;
  return address;
}

export class NodeRotation {
  private index: number;
  private previous: number;
  private readonly addresses: NodeAddress[];
  /** What amqplib's `connect` is given: every field is the current node's, read when it dials. */
  readonly address: NodeAddress;

  constructor(
    readonly urls: readonly string[],
    heartbeatMs: number,
    start: number | undefined = undefined,
  ) {
    this.addresses = urls.map((url) => nodeAddress(url, heartbeatMs));
    this.index = (start ?? randomInt(urls.length)) % urls.length;
    this.previous = this.index;
    const current = (): NodeAddress => this.addresses[this.index]!;
    const fields: Array<keyof NodeAddress> = [
      'protocol',
      'hostname',
      'port',
      'username',
      'password',
      'vhost',
      'heartbeat',
      'locale',
      'frameMax',
      'channelMax',
      'maxFrameSize',
    ];
    this.address = Object.defineProperties(
      {},
      Object.fromEntries(fields.map((field) => [field, { enumerable: true, get: () => current()[field] }])),
    ) as NodeAddress;
  }

  /** The URL of the node dialled now (or connected to). */
  get current(): string {
    return this.urls[this.index]!;
  }

  /** The current node's URL without its password, for log lines. */
  get display(): string {
    return redactUrl(this.current);
  }

  /** The node dialled (or connected to) before the last `advance()`, without its password. */
  get previousDisplay(): string {
    return redactUrl(this.urls[this.previous]!);
  }

  /** Moves to the next node of the list, wrapping around; a list of one stays on its node. */
  advance(): void {
    this.previous = this.index;
    this.index = (this.index + 1) % this.urls.length;
  }
}
