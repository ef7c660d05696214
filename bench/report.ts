/** Collects the figures of a run and prints them as one Markdown table (paste-ready for docs/performance.md). */
import type { QueueType } from '../runtime/index.js';
import type { BenchConfig, ScenarioName, SideName } from './config.js';
import type { Machine } from './machine.js';
import { median } from './measure.js';
import type { LatencyFigures, SpanFigures } from './measure.js';

type Figure = { kind: 'rate'; values: number[]; cpu: number[] } | { kind: 'latency'; figures: LatencyFigures };

export class Results {
  private readonly figures = new Map<string, Figure>();
  readonly failures: string[] = [];

  private key(type: QueueType, scenario: ScenarioName, side: SideName): string {
    return `${type}/${scenario}/${side}`;
  }

  addRate(type: QueueType, scenario: ScenarioName, side: SideName, value: SpanFigures): void {
    const key = this.key(type, scenario, side);
    let figure = this.figures.get(key);
    if (figure?.kind !== 'rate') {
      figure = { kind: 'rate', values: [], cpu: [] };
      this.figures.set(key, figure);
    }
    figure.values.push(value.perSecond);
    if (!Number.isNaN(value.cpuPerJob)) figure.cpu.push(value.cpuPerJob);
  }

  addLatency(type: QueueType, scenario: 'latency' | 'result-lag', side: SideName, figures: LatencyFigures): void {
    this.figures.set(this.key(type, scenario, side), { kind: 'latency', figures });
  }

  fail(type: QueueType, scenario: ScenarioName, side: SideName, err: unknown): void {
    const reason = err instanceof Error ? err.message : String(err);
    this.failures.push(`${type} ${scenario} ${side}: ${reason.replace(/\s+/g, ' ')}`);
  }

  rate(type: QueueType, scenario: ScenarioName, side: SideName): number | undefined {
    const figure = this.figures.get(this.key(type, scenario, side));
    return figure?.kind === 'rate' ? median(figure.values) : undefined;
  }

  /** Median CPU µs per job of this process, where the scenario measures it. */
  cpu(type: QueueType, scenario: ScenarioName, side: SideName): number | undefined {
    const figure = this.figures.get(this.key(type, scenario, side));
    return figure?.kind === 'rate' && figure.cpu.length > 0 ? median(figure.cpu) : undefined;
  }

  latency(type: QueueType, side: SideName, scenario: 'latency' | 'result-lag' = 'latency'): LatencyFigures | undefined {
    const figure = this.figures.get(this.key(type, scenario, side));
    return figure?.kind === 'latency' ? figure.figures : undefined;
  }
}

const rateRows: Array<[ScenarioName, string]> = [
  ['e2e', 'end to end (jobs/s)'],
  ['enqueue-batch', 'enqueue, batches (jobs/s)'],
  ['enqueue-concurrent', 'enqueue, concurrent (jobs/s)'],
  ['enqueue-serial', 'enqueue, one at a time (jobs/s)'],
  ['drain', 'drain (jobs/s)'],
];

function formatRate(value: number | undefined): string {
  return value === undefined || Number.isNaN(value) ? '–' : Math.round(value).toLocaleString('en-US');
}

function formatMs(value: number | undefined): string {
  return value === undefined || Number.isNaN(value) ? '–' : value.toFixed(value < 10 ? 2 : 1);
}

function ratio(ours: number | undefined, raw: number | undefined): string {
  return ours === undefined || raw === undefined || !(raw > 0) ? '–' : `${(ours / raw).toFixed(2)}×`;
}

/**
 * `ours` is the runtime as usually run, `stored` the same with the Redis result store on; both are
 * compared with raw amqplib measured in the same run.
 */
export function renderTable(config: BenchConfig, results: Results): string {
  const lines = [
    '| queue | measure | ours | ours + results | raw amqplib | ours/raw | ours + results/raw | CPU µs/job: ours, + results, raw |',
    '|---|---|--:|--:|--:|--:|--:|--:|',
  ];
  for (const type of config.queueTypes) {
    for (const [scenario, label] of rateRows) {
      if (!config.scenarios.includes(scenario)) continue;
      const [ours, stored, raw] = (['ours', 'stored', 'raw'] as const).map((side) =>
        results.rate(type, scenario, side),
      );
      const cpu = (['ours', 'stored', 'raw'] as const).map((side) => formatMs(results.cpu(type, scenario, side)));
      lines.push(
        `| ${type} | ${label} | ${formatRate(ours)} | ${formatRate(stored)} | ${formatRate(raw)} | ` +
          `${ratio(ours, raw)} | ${ratio(stored, raw)} | ${cpu.join(', ')} |`,
      );
    }
    if (config.scenarios.includes('latency')) {
      const [ours, stored, raw] = (['ours', 'stored', 'raw'] as const).map((side) => results.latency(type, side));
      for (const p of ['p50', 'p99'] as const) {
        const label = `latency ${p} at ${config.latencyRate}/s (ms)`;
        lines.push(
          `| ${type} | ${label} | ${formatMs(ours?.[p])} | ${formatMs(stored?.[p])} | ${formatMs(raw?.[p])} | ` +
            `${ratio(ours?.[p], raw?.[p])} | ${ratio(stored?.[p], raw?.[p])} | |`,
        );
      }
    }
    if (config.scenarios.includes('result-lag')) {
      const lag = results.latency(type, 'stored', 'result-lag');
      for (const p of ['p50', 'p99'] as const) {
        const label = `result lag ${p} at ${config.latencyRate}/s (ms): handler return to result()`;
        lines.push(`| ${type} | ${label} | | ${formatMs(lag?.[p])} | | | | |`);
      }
    }
  }
  return lines.join('\n');
}

export function renderHeader(config: BenchConfig, machine: Machine, bodies: { ours: number; raw: number }): string {
  return [
    `machine   ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, load ${machine.load.toFixed(2)}`,
    `software  Node ${machine.node}, amqplib ${machine.amqplib}, RabbitMQ ${machine.rabbitmq} (OTP ${machine.erlang})`,
    `settings  ${config.quick ? '--quick, ' : ''}jobs ${config.jobs}, serial jobs ${config.serialJobs}, batch ${config.batchSize}, ` +
      `in flight ${config.inFlight}, concurrency/prefetch ${config.concurrency}, rounds ${config.rounds} (median), ` +
      `latency ${config.latencyRate}/s for ${config.latencySeconds} s, warm-up ${config.warmupJobs} jobs`,
    `bodies    ours ${bodies.ours} B, raw ${bodies.raw} B; persistent, publisher confirms, manual ack; ` +
      `producer and consumer in this one process`,
  ].join('\n');
}
