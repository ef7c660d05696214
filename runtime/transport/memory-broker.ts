/**
 * An in-process broker for `url: 'memory://<name>'`: the subset of AMQP 0-9-1 this runtime uses
 * (default, fanout and topic exchanges, exchange-to-exchange bindings, alternate exchanges,
 * per-queue TTL with dead-lettering, the quorum delivery limit, publisher confirms with mandatory
 * returns, prefetch, ack/nack/requeue, basic.get), with the same answers RabbitMQ gives where the
 * runtime can see them (404 on a missing queue, 406 on a redeclare with other arguments). Client and
 * worker run on it unchanged: for tests without a broker, and for the demo on a machine without one.
 * Nothing survives the process.
 */
import { EventEmitter } from 'node:events';
import type { ConsumeMessage, GetMessage, Message, MessageProperties, Options, Replies } from 'amqplib';
import type { AmqpConfirmChannel, AmqpModel } from './amqp-model.js';

/** A message's properties as published (amqplib's publish options without `mandatory`). */
type Properties = Omit<Options.Publish, 'mandatory'>;

interface Stored {
  content: Buffer;
  exchange: string;
  routingKey: string;
  properties: Properties;
  redelivered: boolean;
  deliveries: number;
  expiry: NodeJS.Timeout | undefined;
}

interface Binding {
  destination: string;
  toExchange: boolean;
  pattern: string;
}

interface Exchange {
  type: string;
  bindings: Binding[];
  alternate: string | undefined;
}

interface Consumer {
  tag: string;
  channel: MemoryChannel;
  onMessage: (message: ConsumeMessage | null) => void;
}

interface Queue {
  name: string;
  arguments: Record<string, unknown>;
  ready: Stored[];
  consumers: Consumer[];
  next: number;
}

class AmqpError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const brokers = new Map<string, MemoryBroker>();

/** The broker of `memory://<name>`, one per name and process. */
export function memoryBroker(url: string): MemoryBroker {
  const name = url.slice('memory://'.length) || 'default';
  let broker = brokers.get(name);
  if (!broker) brokers.set(name, (broker = new MemoryBroker()));
  return broker;
}

export class MemoryBroker {
  readonly exchanges = new Map<string, Exchange>();
  readonly queues = new Map<string, Queue>();
  /** Messages delivered and not yet acked or returned, across all channels. */
  inFlight = 0;
  private tags = 0;

  /**
   * No message is being handled and none waits in a queue, the delay ladder included, but for
   * those whose messages have reached their end (`ignore`: dead-letter queues).
   */
  isIdle(ignore: (queue: string) => boolean = () => false): boolean {
    if (this.inFlight > 0) return false;
    for (const queue of this.queues.values()) if (queue.ready.length > 0 && !ignore(queue.name)) return false;
    return true;
  }

  /** Routes a message; resolves to whether any queue took it. */
  route(
    exchange: string,
    routingKey: string,
    content: Buffer,
    properties: Properties,
    seen = new Set<string>(),
  ): boolean {
    // Each queue gets its own copy: its redelivery and TTL state are its own.
    const fresh = (): Stored => ({
      content,
      exchange,
      routingKey,
      properties,
      redelivered: false,
      deliveries: 0,
      expiry: undefined,
    });
    if (exchange === '') {
      const queue = this.queues.get(routingKey);
      if (!queue) return false;
      this.enqueue(queue, fresh());
      return true;
    }
    const target = this.exchanges.get(exchange);
    if (!target || seen.has(exchange)) return false;
    seen.add(exchange);
    let routed = false;
    for (const binding of target.bindings) {
      if (target.type !== 'fanout' && !matches(target.type, binding.pattern, routingKey)) continue;
      if (binding.toExchange) routed = this.route(binding.destination, routingKey, content, properties, seen) || routed;
      else {
        const queue = this.queues.get(binding.destination);
        if (!queue) continue;
        this.enqueue(queue, fresh());
        routed = true;
      }
    }
    if (!routed && target.alternate) routed = this.route(target.alternate, routingKey, content, properties, seen);
    return routed;
  }

  private enqueue(queue: Queue, message: Stored): void {
    const ttl = queue.arguments['x-message-ttl'];
    if (typeof ttl === 'number') {
      message.expiry = setTimeout(() => {
        const index = queue.ready.indexOf(message);
        if (index < 0) return;
        queue.ready.splice(index, 1);
        this.deadLetter(queue, message, 'expired');
      }, ttl);
      message.expiry.unref?.();
    }
    queue.ready.push(message);
    this.dispatch(queue);
  }

  /** Dead-letters as RabbitMQ does: to the queue's DLX, with `x-death`, or drops it when there is none. */
  deadLetter(queue: Queue, message: Stored, reason: string): void {
    if (message.expiry) clearTimeout(message.expiry);
    const exchange = queue.arguments['x-dead-letter-exchange'];
    if (typeof exchange !== 'string') return;
    const routingKey = (queue.arguments['x-dead-letter-routing-key'] as string | undefined) ?? message.routingKey;
    const headers: Record<string, unknown> = { ...message.properties.headers };
    delete headers['x-delivery-count'];
    const deaths = Array.isArray(headers['x-death']) ? (headers['x-death'] as Record<string, unknown>[]) : [];
    headers['x-death'] = [
      { reason, queue: queue.name, exchange: message.exchange, count: 1, time: new Date() },
      ...deaths,
    ];
    headers['x-first-death-reason'] ??= reason;
    headers['x-first-death-queue'] ??= queue.name;
    this.route(exchange, routingKey, message.content, { ...message.properties, headers });
  }

  /** Hands ready messages to consumers with room under their channel's prefetch, round robin. */
  dispatch(queue: Queue): void {
    while (queue.ready.length > 0 && queue.consumers.length > 0) {
      let chosen: Consumer | undefined;
      for (let i = 0; i < queue.consumers.length; i += 1) {
        const candidate = queue.consumers[(queue.next + i) % queue.consumers.length]!;
        if (candidate.channel.hasRoom()) {
          chosen = candidate;
          queue.next = (queue.next + i + 1) % queue.consumers.length;
          break;
        }
      }
      if (!chosen) return;
      const message = queue.ready.shift()!;
      if (message.expiry) clearTimeout(message.expiry);
      message.expiry = undefined;
      chosen.channel.deliver(queue, message, chosen);
    }
  }

  /** A message back in its queue after a nack or a closed channel; quorum queues count it against the delivery limit. */
  requeue(queue: Queue, message: Stored): void {
    message.redelivered = true;
    const limit = queue.arguments['x-delivery-limit'];
    if (queue.arguments['x-queue-type'] === 'quorum') {
      const headers = { ...message.properties.headers, 'x-delivery-count': message.deliveries };
      message.properties = { ...message.properties, headers };
      if (typeof limit === 'number' && message.deliveries > limit)
        return this.deadLetter(queue, message, 'delivery_limit');
    }
    queue.ready.unshift(message);
    this.dispatch(queue);
  }

  nextTag(): string {
    this.tags += 1;
    return `amq.ctag-memory-${this.tags}`;
  }
}

/** AMQP topic matching: `*` is one word, `#` zero or more. */
function matches(type: string, pattern: string, key: string): boolean {
  if (type === 'direct') return pattern === key;
  const p = pattern.split('.');
  const k = key.split('.');
  const walk = (i: number, j: number): boolean => {
    if (i === p.length) return j === k.length;
    if (p[i] === '#') return walk(i + 1, j) || (j < k.length && walk(i, j + 1));
    if (j === k.length) return false;
    return (p[i] === '*' || p[i] === k[j]) && walk(i + 1, j + 1);
  };
  return walk(0, 0);
}

interface Unacked {
  queue: Queue;
  message: Stored;
  consumer: Consumer | undefined;
}

/** Properties as amqplib hands them to a consumer: every field present, `persistent` as `deliveryMode`. */
function deliveredProperties(properties: Properties): MessageProperties {
  return {
    contentType: properties.contentType,
    contentEncoding: properties.contentEncoding,
    headers: { ...properties.headers },
    deliveryMode: properties.deliveryMode ?? (properties.persistent ? 2 : undefined),
    priority: properties.priority,
    correlationId: properties.correlationId,
    replyTo: properties.replyTo,
    expiration: properties.expiration,
    messageId: properties.messageId,
    timestamp: properties.timestamp,
    type: properties.type,
    userId: properties.userId,
    appId: properties.appId,
    clusterId: undefined,
  };
}

/** A channel on the in-process broker: amqplib's channel as this runtime uses it (amqp-model.ts). */
export class MemoryChannel extends EventEmitter implements AmqpConfirmChannel {
  private closed = false;
  private prefetchCount = 0;
  private deliveryTag = 0;
  private readonly unacked = new Map<number, Unacked>();
  /** Unacked deliveries to consumers (not basic.get), which is what prefetch limits. */
  private heldByConsumers = 0;
  private readonly consumers = new Set<Consumer>();

  constructor(
    private readonly broker: MemoryBroker,
    private readonly confirm: boolean,
  ) {
    super();
  }

  hasRoom(): boolean {
    return this.prefetchCount === 0 || this.heldByConsumers < this.prefetchCount;
  }

  /** Hands a message to a consumer of this channel. */
  deliver(queue: Queue, message: Stored, consumer: Consumer): void {
    const delivered: ConsumeMessage = {
      content: message.content,
      fields: { ...this.take(queue, message, consumer), consumerTag: consumer.tag },
      properties: deliveredProperties(message.properties),
    };
    queueMicrotask(() => !this.closed && consumer.onMessage(delivered));
  }

  /** Counts a delivery as unacked on this channel; its fields but the consumer tag or message count. */
  private take(queue: Queue, message: Stored, consumer: Consumer | undefined): Message['fields'] {
    message.deliveries += 1;
    this.deliveryTag += 1;
    this.broker.inFlight += 1;
    if (consumer) this.heldByConsumers += 1;
    this.unacked.set(this.deliveryTag, { queue, message, consumer });
    return {
      deliveryTag: this.deliveryTag,
      redelivered: message.redelivered,
      exchange: message.exchange,
      routingKey: message.routingKey,
    };
  }

  private check(): void {
    if (this.closed) {
      const error = new Error('Channel closed');
      error.name = 'IllegalOperationError';
      throw error;
    }
  }

  /** Like the broker: a channel-level error closes the channel. */
  private fail(code: number, text: string): never {
    const error = new AmqpError(code, `Operation failed: ${text}`);
    queueMicrotask(() => {
      this.emit('error', error);
      void this.close();
    });
    throw error;
  }

  async assertExchange(
    name: string,
    type: string,
    options: Options.AssertExchange = {},
  ): Promise<Replies.AssertExchange> {
    this.check();
    const existing = this.broker.exchanges.get(name);
    if (existing && existing.type !== type)
      this.fail(406, `PRECONDITION_FAILED - inequivalent arg 'type' for exchange '${name}'`);
    if (!existing) this.broker.exchanges.set(name, { type, bindings: [], alternate: options.alternateExchange });
    return { exchange: name };
  }

  async assertQueue(name = '', options: Options.AssertQueue = {}): Promise<Replies.AssertQueue> {
    this.check();
    const args: Record<string, unknown> = options.arguments ?? {};
    const existing = this.broker.queues.get(name);
    if (existing) {
      for (const key of new Set([...Object.keys(args), ...Object.keys(existing.arguments)])) {
        if (JSON.stringify(args[key]) !== JSON.stringify(existing.arguments[key]))
          this.fail(
            406,
            `PRECONDITION_FAILED - inequivalent arg '${key}' for queue '${name}': received ${JSON.stringify(args[key]) ?? 'none'} but current is ${JSON.stringify(existing.arguments[key]) ?? 'none'}`,
          );
      }
      return { queue: name, messageCount: existing.ready.length, consumerCount: existing.consumers.length };
    }
    this.broker.queues.set(name, { name, arguments: { ...args }, ready: [], consumers: [], next: 0 });
    return { queue: name, messageCount: 0, consumerCount: 0 };
  }

  async checkQueue(name: string): Promise<{ queue: string; messageCount: number; consumerCount: number }> {
    this.check();
    const queue = this.broker.queues.get(name);
    if (!queue) this.fail(404, `NOT_FOUND - no queue '${name}' in vhost '/'`);
    return { queue: name, messageCount: queue.ready.length, consumerCount: queue.consumers.length };
  }

  async checkExchange(name: string): Promise<{ exchange: string }> {
    this.check();
    if (!this.broker.exchanges.has(name)) this.fail(404, `NOT_FOUND - no exchange '${name}' in vhost '/'`);
    return { exchange: name };
  }

  async bindQueue(queue: string, exchange: string, pattern: string): Promise<Replies.Empty> {
    return this.bind(queue, exchange, pattern, false);
  }

  async bindExchange(destination: string, source: string, pattern: string): Promise<Replies.Empty> {
    return this.bind(destination, source, pattern, true);
  }

  private bind(destination: string, source: string, pattern: string, toExchange: boolean): Replies.Empty {
    this.check();
    const exchange = this.broker.exchanges.get(source);
    if (!exchange) this.fail(404, `NOT_FOUND - no exchange '${source}' in vhost '/'`);
    if (
      !exchange.bindings.some(
        (b) => b.destination === destination && b.pattern === pattern && b.toExchange === toExchange,
      )
    )
      exchange.bindings.push({ destination, pattern, toExchange });
    return {};
  }

  async deleteQueue(name: string): Promise<{ messageCount: number }> {
    this.check();
    const queue = this.broker.queues.get(name);
    this.broker.queues.delete(name);
    for (const message of queue?.ready ?? []) if (message.expiry) clearTimeout(message.expiry);
    return { messageCount: queue?.ready.length ?? 0 };
  }

  async deleteExchange(name: string): Promise<Replies.Empty> {
    this.check();
    this.broker.exchanges.delete(name);
    return {};
  }

  async purgeQueue(name: string): Promise<{ messageCount: number }> {
    this.check();
    const queue = this.broker.queues.get(name);
    if (!queue) this.fail(404, `NOT_FOUND - no queue '${name}' in vhost '/'`);
    const removed = queue.ready.splice(0);
    for (const message of removed) if (message.expiry) clearTimeout(message.expiry);
    return { messageCount: removed.length };
  }

  async prefetch(count: number): Promise<Replies.Empty> {
    this.prefetchCount = count;
    return {};
  }

  async consume(name: string, onMessage: (message: ConsumeMessage | null) => void): Promise<Replies.Consume> {
    this.check();
    const queue = this.broker.queues.get(name);
    if (!queue) this.fail(404, `NOT_FOUND - no queue '${name}' in vhost '/'`);
    const consumer: Consumer = { tag: this.broker.nextTag(), channel: this, onMessage };
    queue.consumers.push(consumer);
    this.consumers.add(consumer);
    this.broker.dispatch(queue);
    return { consumerTag: consumer.tag };
  }

  async cancel(tag: string): Promise<Replies.Cancel> {
    for (const consumer of this.consumers) {
      if (consumer.tag !== tag) continue;
      this.consumers.delete(consumer);
      for (const queue of this.broker.queues.values()) queue.consumers = queue.consumers.filter((c) => c !== consumer);
    }
    return { consumerTag: tag };
  }

  async get(name: string, options: Options.Get = {}): Promise<GetMessage | false> {
    this.check();
    const queue = this.broker.queues.get(name);
    if (!queue) this.fail(404, `NOT_FOUND - no queue '${name}' in vhost '/'`);
    const message = queue.ready.shift();
    if (!message) return false;
    if (message.expiry) clearTimeout(message.expiry);
    message.expiry = undefined;
    const fields = { ...this.take(queue, message, undefined), messageCount: queue.ready.length };
    if (options.noAck) {
      this.unacked.delete(fields.deliveryTag);
      this.broker.inFlight -= 1;
    }
    return { content: message.content, fields, properties: deliveredProperties(message.properties) };
  }

  ack(message: { fields: { deliveryTag: number } }, allUpTo = false): void {
    this.settle(message.fields.deliveryTag, allUpTo, (entry) => void entry);
  }

  nack(message: { fields: { deliveryTag: number } }, allUpTo = false, requeue = true): void {
    this.settle(message.fields.deliveryTag, allUpTo, (entry) =>
      requeue
        ? this.broker.requeue(entry.queue, entry.message)
        : this.broker.deadLetter(entry.queue, entry.message, 'rejected'),
    );
  }

  private settle(tag: number, allUpTo: boolean, then: (entry: Unacked) => void): void {
    if (this.closed) return;
    const tags = allUpTo ? [...this.unacked.keys()].filter((t) => t <= tag) : [tag];
    const touched = new Set<Queue>();
    for (const t of tags) {
      const entry = this.unacked.get(t);
      if (!entry) continue;
      this.unacked.delete(t);
      this.broker.inFlight -= 1;
      if (entry.consumer) this.heldByConsumers -= 1;
      then(entry);
      touched.add(entry.queue);
    }
    for (const queue of touched) this.broker.dispatch(queue);
  }

  publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish = {},
    callback?: (err: unknown, ok: Replies.Empty) => void,
  ): boolean {
    this.check();
    const { mandatory, ...properties } = options;
    const routed = this.broker.route(exchange, routingKey, content, properties);
    queueMicrotask(() => {
      if (!routed && mandatory)
        this.emit('return', {
          content,
          fields: { exchange, routingKey, replyText: 'NO_ROUTE' },
          properties: deliveredProperties(properties),
        });
      if (this.confirm) callback?.(null, {});
    });
    return true;
  }

  sendToQueue(
    queue: string,
    content: Buffer,
    options?: Options.Publish,
    callback?: (err: unknown, ok: Replies.Empty) => void,
  ): boolean {
    return this.publish('', queue, content, options, callback);
  }

  async waitForConfirms(): Promise<void> {}

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const consumer of this.consumers) void this.cancel(consumer.tag);
    // As on a broker: whatever this channel held unacked goes back to its queue.
    const held = [...this.unacked.values()];
    this.unacked.clear();
    this.broker.inFlight -= held.length;
    this.heldByConsumers = 0;
    for (const entry of held) this.broker.requeue(entry.queue, entry.message);
    this.emit('close');
  }
}

/** A connection to the in-process broker: amqplib's recovering channel model as this runtime uses it. */
export class MemoryModel extends EventEmitter implements AmqpModel {
  private readonly channels = new Set<MemoryChannel>();
  constructor(private readonly broker: MemoryBroker) {
    super();
  }
  async createChannel(): Promise<MemoryChannel> {
    return this.track(new MemoryChannel(this.broker, false));
  }
  async createConfirmChannel(): Promise<MemoryChannel> {
    return this.track(new MemoryChannel(this.broker, true));
  }
  private track(channel: MemoryChannel): MemoryChannel {
    this.channels.add(channel);
    channel.once('close', () => this.channels.delete(channel));
    return channel;
  }
  async close(): Promise<void> {
    for (const channel of [...this.channels]) await channel.close();
  }
}
