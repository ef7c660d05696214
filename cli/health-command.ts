/**
 * `rabbitmq-arq health`: asks a worker's health listener whether it is live (or, with --ready, ready) and
 * exits 0 or 1, for probes that run a command (Docker HEALTHCHECK, a Kubernetes exec probe).
 */
import { Command, Option } from 'clipanion';
import { InvalidSettings } from '../runtime/errors.js';
import { parseDuration, parseWholeNumber } from '../runtime/settings/parse-text.js';
import { say } from './cli-messages.js';

export class HealthCommand extends Command {
  static override paths = [['health']];

  static override usage = Command.Usage({
    description: "Check a worker's /healthz (or /readyz) and exit 0 when it answers 200",
    details: `
      The worker listens when started with healthPort (or --health-port, ARQ_HEALTH_PORT). This command
      reads the same port from --port or ARQ_HEALTH_PORT. Exit codes: 0 healthy (ready), 1 not, or no answer.
    `,
    examples: [
      ['Liveness, port from the environment', 'ARQ_HEALTH_PORT=9464 $0 health'],
      ['Readiness of a worker on another host', '$0 health --ready --host worker-1 --port 9464'],
    ],
  });

  port = Option.String('-p,--port', { description: 'Health port (default: $ARQ_HEALTH_PORT)' });
  host = Option.String('--host', { description: 'Host (default: $ARQ_HEALTH_HOST, else 127.0.0.1)' });
  ready = Option.Boolean('--ready', false, { description: 'Ask /readyz instead of /healthz' });
  timeout = Option.String('--timeout', { description: 'How long to wait for the answer (duration; default 3s)' });

  async execute(): Promise<number> {
    const path = this.ready ? '/readyz' : '/healthz';
    let url: string;
    let timeout: number;
    try {
      const portText = this.port ?? process.env.ARQ_HEALTH_PORT;
      if (!portText) throw new InvalidSettings('no port: give --port or set ARQ_HEALTH_PORT');
      const port = parseWholeNumber(portText, '--port');
      const host = this.host ?? process.env.ARQ_HEALTH_HOST ?? '127.0.0.1';
      url = `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;
      timeout = this.timeout === undefined ? 3_000 : parseDuration(this.timeout, '--timeout');
    } catch (err) {
      this.context.stderr.write(`${this.cli.binaryName} health: ${(err as Error).message}\n`);
      return 1;
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeout) });
      const body = (await response.text()).trim();
      const line = say(response.ok ? 'healthOk' : 'healthBad', { url, status: response.status, body });
      (response.ok ? this.context.stdout : this.context.stderr).write(line + '\n');
      return response.ok ? 0 : 1;
    } catch (err) {
      const reason = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
      this.context.stderr.write(say('healthNoAnswer', { url, reason }) + '\n');
      return 1;
    }
  }
}
