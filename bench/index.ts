/**
 * `npm run bench`: our runtime next to raw amqplib, same machine, same broker, same queue type,
 * in one run (docs/performance.md explains the method and the figures). A benchmark, not a test:
 * it asserts nothing and exits 0; a failed measurement shows as "–" and is listed at the end.
 */
import { loadavg } from 'node:os';
import type { QueueType } from '../runtime/index.js';
import { readConfig } from './config.js';
import type { BenchConfig, ScenarioName } from './config.js';
import { describeMachine } from './machine.js';
import { now } from './measure.js';
import type { SpanFigures } from './measure.js';
import { oursSide } from './ours.js';
import { payloads } from './payload.js';
import { deleteAllQueues, useBroker } from './queues.js';
import { rawSide } from './raw-amqplib.js';
import { Results, renderHeader, renderTable } from './report.js';
import type { Side } from './side.js';

type RateScenario = Exclude<ScenarioName, 'latency' | 'result-lag'>;

/** Jobs/s of one run, and this process's CPU µs per job. */
function rateOf(side: Side, scenario: RateScenario, type: QueueType, config: BenchConfig): Promise<SpanFigures> {
  switch (scenario) {
    case 'e2e':
      return side.endToEnd(type, config.jobs);
    case 'enqueue-batch':
      return side.enqueueBatches(type, config.jobs);
    case 'enqueue-concurrent':
      return side.enqueueConcurrent(type, config.jobs);
    case 'enqueue-serial':
      return side.enqueueSerial(type, config.serialJobs);
    case 'drain':
      return side.drain(type, config.jobs);
  }
}

/** JIT-compiles both publish and consume paths (and lets the broker settle) before anything is timed. */
async function warmUp(sides: Side[], type: QueueType, config: BenchConfig): Promise<void> {
  for (const side of sides) {
    await side.endToEnd(type, config.warmupJobs).catch(() => undefined);
    await side.enqueueConcurrent(type, config.warmupJobs).catch(() => undefined);
    await side.enqueueSerial(type, Math.min(200, config.serialJobs)).catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const config = readConfig(process.argv.slice(2));
  if (!config) return;
  useBroker(config.url);
  const machine = await describeMachine(config.url);
  const bodies = payloads(config.bodyBytes, 'arqbench-classic-00000000');
  console.log(renderHeader(config, machine, { ours: bodies.oursBytes, raw: bodies.rawBytes }));

  const all: Side[] = [oursSide(config), oursSide(config, 'stored'), rawSide(config)];
  const sides = all.filter((side) => config.sides.includes(side.name));
  const results = new Results();
  const started = now();

  for (const type of config.queueTypes) {
    console.log(`\n${type} queue: warming up`);
    await warmUp(sides, type, config);
    for (const scenario of config.scenarios) {
      if (scenario === 'latency' || scenario === 'result-lag') continue;
      for (let round = 0; round < config.rounds; round += 1) {
        // Alternate who goes first, so a drift in broker state or machine load favours neither side.
        const order = round % 2 === 0 ? sides : [...sides].reverse();
        for (const side of order) {
          try {
            const figures = await rateOf(side, scenario, type, config);
            results.addRate(type, scenario, side.name, figures);
            const rate = Math.round(figures.perSecond).toLocaleString('en-US');
            const cpu = figures.cpuPerJob.toFixed(1);
            console.log(`  ${scenario.padEnd(19)} ${side.name.padEnd(6)} ${rate} jobs/s, ${cpu} µs CPU/job`);
          } catch (err) {
            results.fail(type, scenario, side.name, err);
            console.log(`  ${scenario.padEnd(19)} ${side.name.padEnd(6)} failed: ${(err as Error).message}`);
          }
        }
      }
    }
    for (const scenario of ['latency', 'result-lag'] as const) {
      if (!config.scenarios.includes(scenario)) continue;
      for (const side of sides) {
        const measure = scenario === 'latency' ? side.latency.bind(side) : side.resultLag?.bind(side);
        if (!measure) continue;
        try {
          const figures = await measure(type);
          results.addLatency(type, scenario, side.name, figures);
          console.log(
            `  ${scenario.padEnd(19)} ${side.name.padEnd(6)} p50 ${figures.p50.toFixed(2)} ms, p99 ${figures.p99.toFixed(2)} ms, ` +
              `max ${figures.max.toFixed(1)} ms (${figures.samples} samples)`,
          );
        } catch (err) {
          results.fail(type, scenario, side.name, err);
          console.log(`  ${scenario.padEnd(19)} ${side.name.padEnd(6)} failed: ${(err as Error).message}`);
        }
      }
    }
  }

  console.log(`\n${renderTable(config, results)}\n`);
  const load = loadavg()[0] ?? 0;
  console.log(`total ${((now() - started) / 1000).toFixed(0)} s; 1-minute load average at the end ${load.toFixed(2)}`);
  if (results.failures.length > 0) console.log(`failed measurements:\n  ${results.failures.join('\n  ')}`);
}

// Ctrl-C: remove this run's queues before leaving.
process.once('SIGINT', () => {
  console.log("\ninterrupted: deleting this run's queues");
  void deleteAllQueues().finally(() => process.exit(130));
});

main()
  .catch((err: unknown) => console.error(`bench aborted: ${err instanceof Error ? err.message : String(err)}`))
  .finally(async () => {
    await deleteAllQueues().catch(() => undefined);
    // A benchmark reports, it does not judge: always exit 0, and do not wait on a stray socket.
    process.exit(0);
  });
