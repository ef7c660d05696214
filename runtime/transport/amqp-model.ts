/**
 * The part of amqplib's API the runtime calls, as interfaces of its own. amqplib's channels and its
 * recovering channel model satisfy them (connection.ts hands one to BrokerConnection as an
 * `AmqpModel`), and the in-process broker (memory-broker.ts) implements them, so the compiler, not a
 * test, notices when the runtime starts calling something the stand-in lacks or a signature drifts.
 * The members are picked from amqplib's own types, so their signatures are amqplib's.
 */
import type { Channel, ConfirmChannel, Message, RecoveringChannelModel } from 'amqplib';

/** The channel events the runtime listens to. */
interface ChannelEvents {
  on(event: 'close' | 'drain', listener: () => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'return', listener: (message: Message) => void): this;
  once(event: 'close', listener: () => void): this;
  off(event: 'close' | 'drain', listener: () => void): this;
}

/** A channel as the runtime uses it: declare, consume, get, settle, publish, and its events. */
export interface AmqpChannel
  extends
    ChannelEvents,
    Pick<
      Channel,
      | 'close'
      | 'assertQueue'
      | 'checkQueue'
      | 'deleteQueue'
      | 'purgeQueue'
      | 'bindQueue'
      | 'assertExchange'
      | 'checkExchange'
      | 'deleteExchange'
      | 'bindExchange'
      | 'publish'
      | 'sendToQueue'
      | 'consume'
      | 'cancel'
      | 'get'
      | 'ack'
      | 'nack'
      | 'prefetch'
    > {}

/** A channel in confirm mode: publishes take a callback for the broker's confirm. */
export interface AmqpConfirmChannel
  extends
    Omit<AmqpChannel, 'publish' | 'sendToQueue'>,
    Pick<ConfirmChannel, 'publish' | 'sendToQueue' | 'waitForConfirms'> {}

/** A connection that opens channels; amqplib's recovering channel model is one. */
export interface AmqpModel extends Pick<RecoveringChannelModel, 'close'> {
  createChannel(): Promise<AmqpChannel>;
  createConfirmChannel(): Promise<AmqpConfirmChannel>;
}
