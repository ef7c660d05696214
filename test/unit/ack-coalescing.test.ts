// Coalesced acks (runtime/worker/delivery.ts) against a fake channel that acts as the broker would:
// it keeps the unacked tags, refuses an ack of an unknown tag (RabbitMQ closes the channel with
// PRECONDITION_FAILED), and records each frame sent.
import * as assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { Channel, ConsumeMessage } from 'amqplib';
import { ack, flushAcks, nack, newDelivery, onLiveChannel } from '../../runtime/worker/delivery.js';
import type { Delivery } from '../../runtime/worker/delivery.js';

class BrokerChannel extends EventEmitter {
  readonly unacked = new Set<number>();
  readonly frames: string[] = [];
  private nextTag = 1;
  /** A closed channel's frames never reach the broker; amqplib would throw. Recorded here to be seen. */
  closed = false;

  close(): void {
    this.closed = true;
    this.emit('close');
  }

  deliver(): Delivery {
    const tag = this.nextTag++;
    this.unacked.add(tag);
    const message = {
      fields: { deliveryTag: tag },
      properties: {},
      content: Buffer.alloc(0),
    } as unknown as ConsumeMessage;
    return newDelivery(this as unknown as Channel, message, 'q');
  }

  ack(message: { fields: { deliveryTag: number } }, multiple = false): void {
    const tag = message.fields.deliveryTag;
    if (this.closed) this.frames.push(`ack ${tag} after close`);
    if (!this.unacked.has(tag)) throw new Error(`PRECONDITION_FAILED - unknown delivery tag ${tag}`);
    this.frames.push(multiple ? `ack ≤${tag}` : `ack ${tag}`);
    if (multiple) for (const t of this.unacked) if (t <= tag) this.unacked.delete(t);
    this.unacked.delete(tag);
  }

  nack(message: { fields: { deliveryTag: number } }): void {
    const tag = message.fields.deliveryTag;
    if (this.closed) this.frames.push(`nack ${tag} after close`);
    if (!this.unacked.has(tag)) throw new Error(`PRECONDITION_FAILED - unknown delivery tag ${tag}`);
    this.frames.push(`nack ${tag}`);
    this.unacked.delete(tag);
  }
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('coalesced acks', () => {
  it('acks a run of jobs settled in one turn with one multiple ack', async () => {
    const channel = new BrokerChannel();
    const [a, b, c] = [channel.deliver(), channel.deliver(), channel.deliver()];
    ack(c!);
    ack(a!);
    ack(b!);
    assert.deepEqual(channel.frames, [], 'nothing is sent before the end of the turn');
    await nextTurn();
    assert.deepEqual(channel.frames, ['ack ≤3']);
    assert.equal(channel.unacked.size, 0);
  });

  it('never covers a job still running: those after it are acked one by one, at once', async () => {
    const channel = new BrokerChannel();
    const [slow, b, c] = [channel.deliver(), channel.deliver(), channel.deliver()];
    ack(b!);
    ack(c!);
    await nextTurn();
    assert.deepEqual(channel.frames, ['ack 2', 'ack 3']);
    assert.deepEqual([...channel.unacked], [1], 'the running job stays unacked');
    ack(slow!);
    await nextTurn();
    assert.deepEqual(channel.frames, ['ack 2', 'ack 3', 'ack 1']);
  });

  it('sends a nack at once, and a later multiple ack may span it', async () => {
    const channel = new BrokerChannel();
    const [a, b, c] = [channel.deliver(), channel.deliver(), channel.deliver()];
    ack(a!);
    nack(b!);
    ack(c!);
    assert.deepEqual(channel.frames, ['nack 2']);
    await nextTurn();
    assert.deepEqual(channel.frames, ['nack 2', 'ack ≤3']);
  });

  it('flushAcks() sends what is pending without waiting for the turn to end', () => {
    const channel = new BrokerChannel();
    const [a, b] = [channel.deliver(), channel.deliver()];
    ack(a!);
    ack(b!);
    flushAcks();
    assert.deepEqual(channel.frames, ['ack ≤2']);
  });

  it('drops the acks of a closed channel: they never reach its successor, whose tags start again at 1', async () => {
    const lost = new BrokerChannel();
    const [a, b, c] = [lost.deliver(), lost.deliver(), lost.deliver()];
    ack(a!);
    lost.close();
    const fresh = new BrokerChannel();
    const [first] = [fresh.deliver()];
    assert.equal(onLiveChannel(b!), false);
    assert.equal(onLiveChannel(first!), true);
    ack(b!);
    nack(c!);
    flushAcks();
    await nextTurn();
    assert.deepEqual(lost.frames, [], 'nothing is sent on the lost channel, not even the ack settled before it closed');
    assert.deepEqual(fresh.frames, [], 'and nothing on the new one, where tag 1 is another job');
    ack(first!);
    await nextTurn();
    assert.deepEqual(fresh.frames, ['ack 1']);
  });

  it('settles each of 2,000 jobs exactly once whatever the order, never acking an unfinished one', async () => {
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const channel = new BrokerChannel();
    const open: Delivery[] = [];
    let settled = 0;
    for (let turn = 0; turn < 400; turn += 1) {
      for (let i = 0; i < 5; i += 1) open.push(channel.deliver());
      // Settle a random handful of the open deliveries, some of them twice (a late handler after shutdown).
      for (let i = Math.floor(random() * 8); i > 0 && open.length > 0; i -= 1) {
        const [delivery] = open.splice(Math.floor(random() * open.length), 1);
        if (random() < 0.1) nack(delivery!);
        else ack(delivery!);
        ack(delivery!);
        settled += 1;
      }
      await nextTurn();
      const running = new Set(open.map((d) => d.message.fields.deliveryTag));
      for (const tag of running) assert.ok(channel.unacked.has(tag), `job ${tag} is still running and was acked`);
      assert.equal(channel.unacked.size, running.size, 'every settled job reached the broker by the end of its turn');
    }
    assert.ok(settled > 1_000);
    assert.ok(
      channel.frames.some((frame) => frame.startsWith('ack ≤')),
      'some acks were coalesced',
    );
  });
});
