// coalesceWrites: the frames written in one event-loop step reach the socket as one writev, in order.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { coalesceWrites } from '../../runtime/transport/coalesce-writes.js';

function recordingStream(): { stream: Writable; calls: string[][] } {
  const calls: string[][] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      calls.push([chunk.toString()]);
      callback();
    },
    writev(chunks, callback) {
      calls.push(chunks.map(({ chunk }) => (chunk as Buffer).toString()));
      callback();
    },
  });
  return { stream, calls };
}

const nextTick = () => new Promise((resolve) => process.nextTick(resolve));

describe('coalesceWrites', () => {
  it('sends the writes of one step together and in order, and the next step apart', async () => {
    const { stream, calls } = recordingStream();
    coalesceWrites(stream);
    coalesceWrites(stream); // a second call changes nothing
    for (const frame of ['a', 'b', 'c']) assert.equal(stream.write(Buffer.from(frame)), true);
    assert.deepEqual(calls, [], 'held until the step ends');
    await nextTick();
    stream.write(Buffer.from('d'));
    await nextTick();
    assert.deepEqual(calls, [['a', 'b', 'c'], ['d']]);
  });

  it('without it, every write is a call of its own', async () => {
    const { stream, calls } = recordingStream();
    for (const frame of ['a', 'b']) stream.write(Buffer.from(frame));
    await nextTick();
    assert.equal(calls.length, 2);
  });
});
