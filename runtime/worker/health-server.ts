/**
 * The worker's HTTP listener for orchestrators: `/healthz` (liveness: the broker connection is up
 * and the event loop answers in time), `/readyz` (readiness: consuming, not shutting down) and
 * `/metrics` (Prometheus text). Plain node:http: three fixed routes need no framework.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An event loop that falls this far behind its timer is reported unhealthy: handlers are blocking it. */
export const EVENT_LOOP_LAG_LIMIT_MS = 5_000;
const LAG_SAMPLE_MS = 500;

export interface HealthProbes {
  /** Whether the broker connection is up. */
  connected(): boolean;
  /** Whether the worker consumes and is not shutting down. */
  ready(): boolean;
  metrics(): Promise<{ contentType: string; body: string }>;
}

export class HealthServer {
  private readonly server: Server;
  private lag = 0;
  private readonly sampler: NodeJS.Timeout;

  private constructor(private readonly probes: HealthProbes) {
    let expected = Date.now() + LAG_SAMPLE_MS;
    this.sampler = setInterval(() => {
      const now = Date.now();
      this.lag = Math.max(0, now - expected);
      expected = now + LAG_SAMPLE_MS;
    }, LAG_SAMPLE_MS).unref();
    this.server = createServer((request, response) => {
      void this.answer(request.url ?? '/').then(
        ({ status, contentType, body }) => {
          response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
          response.end(body);
        },
        (err: unknown) => {
          response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
          response.end(`metrics failed: ${err instanceof Error ? err.message : String(err)}\n`);
        },
      );
    });
  }

  static async listen(port: number, host: string, probes: HealthProbes): Promise<HealthServer> {
    const health = new HealthServer(probes);
    await new Promise<void>((resolve, reject) => {
      health.server.once('error', reject);
      health.server.listen(port, host, () => {
        health.server.off('error', reject);
        resolve();
      });
    });
    return health;
  }

  /** `host:port` the listener is bound to. */
  get address(): string {
    const address = this.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `${host}:${address.port}`;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    clearInterval(this.sampler);
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async answer(url: string): Promise<{ status: number; contentType: string; body: string }> {
    const path = url.split('?')[0];
    const text = 'text/plain; charset=utf-8';
    if (path === '/healthz') {
      const problems: string[] = [];
      if (!this.probes.connected()) problems.push('broker connection down');
      if (this.lag > EVENT_LOOP_LAG_LIMIT_MS) problems.push(`event loop ${this.lag} ms behind`);
      return problems.length === 0
        ? { status: 200, contentType: text, body: 'ok\n' }
        : { status: 503, contentType: text, body: `${problems.join('; ')}\n` };
    }
    if (path === '/readyz')
      return this.probes.ready()
        ? { status: 200, contentType: text, body: 'ready\n' }
        : { status: 503, contentType: text, body: 'not ready\n' };
    if (path === '/metrics') {
      const { contentType, body } = await this.probes.metrics();
      return { status: 200, contentType, body };
    }
    return { status: 404, contentType: text, body: 'not found: try /healthz, /readyz or /metrics\n' };
  }
}
