/**
 * One socket write per event-loop step instead of one per frame. amqplib writes every frame (each
 * publish, each ack) to the socket on its own; corking the socket at the first write of a step and
 * uncorking it on the next tick hands Node all of that step's frames at once, which it sends with a
 * single writev. Order and backpressure (`write()` returning false) are unchanged.
 */
import type { Writable } from 'node:stream';

const coalesced = new WeakSet<Writable>();

export function coalesceWrites(stream: Writable): void {
  if (coalesced.has(stream) || typeof stream.cork !== 'function') return;
  coalesced.add(stream);
  const write = stream.write;
  let corked = false;
  const uncork = (): void => {
    corked = false;
    stream.uncork();
  };
  stream.write = function (this: Writable, ...args: Parameters<Writable['write']>) {
    if (!corked) {
      corked = true;
      stream.cork();
      process.nextTick(uncork);
    }
    return write.apply(this, args);
  } as Writable['write'];
}
