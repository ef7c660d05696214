/**
 * A TCP proxy in front of the broker that a test can cut: the way to simulate an outage without
 * stopping the RabbitMQ every other test shares.
 */
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { connect } from 'node:net';

export interface BrokerProxy {
  /** `amqp://guest:guest@127.0.0.1:<port>` */
  url: string;
  /** Drops every open connection and refuses new ones until `restore()`. */
  cut(): void;
  /** Drops every open connection, then accepts new ones and never answers them (a hung node) until `restore()`. */
  stall(): void;
  restore(): void;
  /** Client connections open through the proxy now. */
  connections(): number;
  close(): Promise<void>;
}

export async function startBrokerProxy(target = { host: '127.0.0.1', port: 5672 }): Promise<BrokerProxy> {
  const sockets = new Set<Socket>();
  const clients = new Set<Socket>();
  let down = false;
  let stalled = false;
  const server: Server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    if (stalled) {
      sockets.add(client);
      client.on('error', () => client.destroy());
      return;
    }
    const upstream = connect(target.port, target.host);
    sockets.add(client);
    sockets.add(upstream);
    clients.add(client);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      clients.delete(client);
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const cut = (): void => {
    down = true;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    clients.clear();
  };
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    cut,
    stall() {
      cut();
      down = false;
      stalled = true;
    },
    restore() {
      down = false;
      stalled = false;
    },
    connections: () => clients.size,
    close() {
      cut();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
