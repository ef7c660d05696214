import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cli } from 'clipanion';
import { hidePasswords } from '../../cli/command-support.js';
import { QueueInfoCommand } from '../../cli/queue-commands.js';
import { WorkerCommand } from '../../cli/worker-command.js';
import { InvalidSettings, RabbitMQClient, Worker } from '../../runtime/index.js';
import {
  brokerUrlProblems,
  displayBrokerUrls,
  parseBrokerUrls,
  splitBrokerUrls,
} from '../../runtime/settings/broker-urls.js';
import { defaultUrls, resolveClientSettings, resolveWorkerSettings } from '../../runtime/settings/settings.js';
import { workerOverridesFromEnvironment } from '../../runtime/settings/worker-overrides.js';
import { NodeRotation, nodeAddress } from '../../runtime/transport/node-rotation.js';

const a = 'amqp://app:s3cret@node-a:5672/prod';
const b = 'amqp://app:s3cret@node-b:5673/prod';
const c = 'amqps://app:s3cret@node-c/prod';

describe('broker URL lists: one parser for settings, AMQP_URL and flags', () => {
  it('splits on commas, trims, drops empty entries, keeps the order', () => {
    assert.deepEqual(splitBrokerUrls(a), [a]);
    assert.deepEqual(splitBrokerUrls(` ${a} ,${b},, ${c} `), [a, b, c]);
    assert.deepEqual(splitBrokerUrls([a, `${b},${c}`]), [a, b, c]);
    assert.deepEqual(splitBrokerUrls(' , '), []);
  });

  it('accepts the nodes of one cluster, mixing amqp and amqps', () => {
    assert.deepEqual(brokerUrlProblems([a, b, c]), []);
    assert.deepEqual(brokerUrlProblems(['amqp://h1', 'amqp://h2/']), [], 'no vhost and "/" are the same vhost');
    assert.deepEqual(brokerUrlProblems(['amqp://h1/%2F', 'amqp://h2']), [], '%2F is "/"');
  });

  it('refuses a list whose nodes disagree on vhost or credentials, without printing a password', () => {
    const [vhost] = brokerUrlProblems([a, 'amqp://app:s3cret@node-b/staging']);
    assert.match(vhost!, /node-b\/staging and amqp:\/\/app:\*\*\*@node-a:5672\/prod differ in vhost;/);
    const [user] = brokerUrlProblems([a, 'amqp://ops:s3cret@node-b/prod']);
    assert.match(user!, /differ in user name;/);
    const [password] = brokerUrlProblems([a, 'amqp://app:other@node-b/prod']);
    assert.match(password!, /differ in password; every node of a cluster takes the same vhost and credentials/);
    const [both] = brokerUrlProblems(['amqp://h1/x', 'amqp://u:p@h2/y']);
    assert.match(both!, /differ in vhost and user name and password/);
    for (const problem of [vhost, user, password]) assert.doesNotMatch(problem!, /s3cret|other/);
  });

  it('refuses bad entries, an empty list, and memory:// in a list', () => {
    assert.deepEqual(brokerUrlProblems([]), ['no broker URL given']);
    assert.deepEqual(brokerUrlProblems(['http://x']), ['must start with amqp://, amqps:// or memory:// (in-process)']);
    assert.deepEqual(brokerUrlProblems([a, 'http://u:pw@x', 'amqp://a b']), [
      'http://u:***@x: must start with amqp://, amqps:// or memory:// (in-process)',
      'amqp://a b: is not a valid URL',
    ]);
    assert.match(brokerUrlProblems(['memory://x', a])[0]!, /memory:\/\/ is one in-process broker/);
    assert.deepEqual(brokerUrlProblems(['memory://x']), []);
  });

  it('parses flag and variable text, naming the source in the one error', () => {
    assert.deepEqual(parseBrokerUrls(`${a},${b}`, '--url'), [a, b]);
    assert.throws(
      () => parseBrokerUrls(`${a},amqp://app:x@node-b/prod`, 'AMQP_URL'),
      (err: unknown) =>
        err instanceof InvalidSettings &&
        err.code === 'INVALID_SETTINGS' &&
        /^AMQP_URL: amqp:\/\/app:\*\*\*@node-b\/prod and .* differ in password/.test(err.message) &&
        !err.message.includes('s3cret'),
    );
    assert.throws(() => parseBrokerUrls(',', '--url'), /--url: no broker URL given/);
  });

  it('is what AMQP_URL, the worker flags and the other commands read', () => {
    assert.deepEqual(defaultUrls({ AMQP_URL: `${a}, ${b}` }), [a, b]);
    assert.deepEqual(defaultUrls({}), ['amqp://guest:guest@localhost:5672']);
    assert.deepEqual(workerOverridesFromEnvironment({ AMQP_URL: `${a},${b}` }).url, [a, b]);
    assert.throws(() => workerOverridesFromEnvironment({ AMQP_URL: `${a},amqp://x@b/prod` }), /AMQP_URL: .* differ/);

    const cli = new Cli({ binaryName: 'rabbitmq-arq' });
    cli.register(WorkerCommand);
    cli.register(QueueInfoCommand);
    for (const flag of ['-u', '--url', '--rabbitmq-url']) {
      const worker = cli.process(['worker', '-m', 'unused.ts', flag, `${a},${b}`]) as WorkerCommand;
      assert.deepEqual(worker.layerOver({})({ handlers: { x: () => 1 } }).url, [a, b], `worker ${flag}`);
      const info = cli.process(['queue-info', '-q', 'x', flag, `${a},${b}`]) as QueueInfoCommand;
      assert.equal(info.url, `${a},${b}`, `queue-info ${flag} (split by the settings it is passed to)`);
    }
  });

  it('client and worker take a string, a comma-separated string or an array, resolved to the list', () => {
    const quiet = { logLevel: 'silent' } as const;
    assert.deepEqual(resolveClientSettings({ ...quiet, url: a }).urls, [a]);
    assert.deepEqual(resolveClientSettings({ ...quiet, url: `${a},${b}` }).urls, [a, b]);
    assert.deepEqual(resolveWorkerSettings({ ...quiet, url: [a, b, c], handlers: { x: () => 1 } }).urls, [a, b, c]);
  });

  it('refuses a disagreeing list at construction, in one line naming the setting', () => {
    for (const make of [
      () => new RabbitMQClient({ url: [a, 'amqp://app:s3cret@node-b/other'] }),
      () => new Worker({ url: [a, 'amqp://app:s3cret@node-b/other'], handlers: { x: () => 1 } }),
    ])
      assert.throws(make, (err: unknown) => {
        assert.ok(err instanceof InvalidSettings);
        assert.match(err.message, /url: amqp:\/\/app:\*\*\*@node-b\/other and .* differ in vhost/);
        assert.doesNotMatch(err.message, /s3cret|\n/);
        return true;
      });
    assert.throws(() => new RabbitMQClient({ url: [] }), /url: no broker URL given/);
    assert.throws(() => new RabbitMQClient({ url: [a, 42 as never] }), /url: must be a URL, a comma-separated list/);
  });

  it('shows a list without its passwords, in the runtime and in any CLI error text', () => {
    assert.equal(displayBrokerUrls([a, b]), 'amqp://app:***@node-a:5672/prod,amqp://app:***@node-b:5673/prod');
    const text = hidePasswords(`AMQP_URL=amqp://u:one@a,amqp://u:two@b:5673/v refused`);
    assert.equal(text, 'AMQP_URL=amqp://u:***@a,amqp://u:***@b:5673/v refused');
  });
});

describe('node rotation: what amqplib dials', () => {
  it('gives amqplib the fields it reads from a URL string', () => {
    assert.deepEqual(nodeAddress('amqp://us%40r:p%3Ass@[::1]:5699/v%2Fh?frameMax=8192&heartbeat=5&locale=de', 60_000), {
      protocol: 'amqp',
      hostname: '::1',
      port: 5699,
      username: 'us@r',
      password: 'p:ss',
      vhost: 'v%2Fh',
      heartbeat: 5,
      frameMax: 8192,
      locale: 'de',
    });
    // No credentials in the URL: none in the address either, and amqplib uses guest/guest.
    assert.deepEqual(nodeAddress('amqps://host', 1_500), {
      protocol: 'amqps',
      hostname: 'host',
      port: 5671,
      vhost: '',
      heartbeat: 2,
    });
  });

  it('starts where told, moves on each advance, wraps around, and the address follows', () => {
    const rotation = new NodeRotation([a, b, c], 60_000, 1);
    const seen: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      seen.push(`${rotation.address.hostname}:${rotation.address.port}`);
      rotation.advance();
    }
    assert.deepEqual(seen, ['node-b:5673', 'node-c:5671', 'node-a:5672', 'node-b:5673']);
    assert.equal(rotation.display, 'amqps://app:***@node-c/prod');
  });

  it('starts on a random node, so the workers of a deployment spread', () => {
    const starts = new Set<string>();
    for (let i = 0; i < 200; i += 1) starts.add(new NodeRotation([a, b, c], 60_000).current);
    assert.equal(starts.size, 3);
  });
});
