import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cli } from 'clipanion';
import { ValidateConfigCommand } from '../../cli/validate-config-command.js';
import { WorkerCommand, startedThroughNpmWarning } from '../../cli/worker-command.js';
import { parseModuleSpec } from '../../cli/worker-module.js';
import type { WorkerSettings } from '../../runtime/index.js';
import { parseDuration, parseWholeNumber } from '../../runtime/settings/parse-text.js';
import { applyWorkerOverrides, workerOverrideSources } from '../../runtime/settings/worker-overrides.js';
import type { WorkerOverrides } from '../../runtime/settings/worker-overrides.js';

const handlers = { a: () => undefined };

/** Parses argv exactly as `arq-gen` does and returns the worker command it would run. */
function workerCommand(args: string[]): WorkerCommand {
  const cli = new Cli({ binaryName: 'arq-gen' });
  cli.register(WorkerCommand);
  return cli.process(['worker', '-m', 'unused.ts', ...args]) as WorkerCommand;
}

/** The three layers' value of each setting (text as a flag or variable gives it) and what it means. */
const layerValues: Record<keyof WorkerOverrides, { module: unknown; env: [string, unknown]; flag: [string, unknown] }> =
  {
    url: {
      module: 'amqp://module',
      env: ['amqp://env-a,amqp://env-b', ['amqp://env-a', 'amqp://env-b']],
      flag: ['amqp://flag', ['amqp://flag']],
    },
    queue: { module: 'q-module', env: ['q-env', 'q-env'], flag: ['q-flag', 'q-flag'] },
    maxRetries: { module: 1, env: ['2', 2], flag: ['3', 3] },
    jobTimeout: { module: 1_000, env: ['2', 2_000], flag: ['3m', 180_000] },
    maxConcurrentJobs: { module: 1, env: ['2', 2], flag: ['3', 3] },
    prefetchCount: { module: 1, env: ['2', 2], flag: ['3', 3] },
    connectionTimeout: { module: 1_000, env: ['2s', 2_000], flag: ['250ms', 250] },
    logLevel: { module: 'error', env: ['warn', 'warn'], flag: ['debug', 'debug'] },
    burst: { module: true, env: ['false', false], flag: ['', true] },
    burstTimeout: { module: 1_000, env: ['2', 2_000], flag: ['3s', 3_000] },
    burstCheckInterval: { module: 100, env: ['200ms', 200], flag: ['300ms', 300] },
    burstNoWait: { module: true, env: ['false', false], flag: ['', true] },
    resultStore: {
      module: 'redis://module',
      env: ['redis://env', 'redis://env'],
      flag: ['redis://flag', 'redis://flag'],
    },
    resultKeyPrefix: { module: 'm:', env: ['e:', 'e:'], flag: ['f:', 'f:'] },
    healthPort: { module: 9000, env: ['9001', 9001], flag: ['9002', 9002] },
    healthHost: { module: '::1', env: ['127.0.0.1', '127.0.0.1'], flag: ['0.0.0.0', '0.0.0.0'] },
  };

const burstKeys: Partial<Record<keyof WorkerOverrides, keyof NonNullable<Exclude<WorkerSettings['burst'], boolean>>>> =
  {
    burstTimeout: 'timeout',
    burstCheckInterval: 'checkInterval',
    burstNoWait: 'waitForTasks',
  };

/** A layer's value of `key` as the merged settings show it. */
function effective(settings: WorkerSettings, key: keyof WorkerOverrides): unknown {
  if (key === 'burst') return Boolean(settings.burst);
  const burstKey = burstKeys[key];
  if (burstKey) {
    const value = typeof settings.burst === 'object' ? settings.burst[burstKey] : undefined;
    return key === 'burstNoWait' ? (value === undefined ? undefined : !value) : value;
  }
  return (settings as unknown as Record<string, unknown>)[key];
}

function moduleSettings(key: keyof WorkerOverrides): WorkerSettings {
  const value = layerValues[key].module;
  if (key === 'burst') return { handlers, burst: true };
  const burstKey = burstKeys[key];
  if (burstKey) return { handlers, burst: { [burstKey]: key === 'burstNoWait' ? !value : value } };
  return { handlers, [key]: value };
}

describe('rabbitmq-arq worker: flag > environment > module > default', () => {
  for (const source of workerOverrideSources) {
    it(`${source.flag} / ${source.variable} / module ${source.key}`, () => {
      const values = layerValues[source.key];
      const flagArgs = values.flag[0] === '' ? [source.flag] : [source.flag, values.flag[0]];
      // Burst tuning shows only in burst mode: a flag turns it on for those rows (and is not the setting under test).
      const burstOn = burstKeys[source.key] ? ['--burst'] : [];
      const env = { [source.variable]: values.env[0] };
      const module = moduleSettings(source.key);

      const all = workerCommand([...flagArgs, ...burstOn]).layerOver(env)(module);
      assert.deepEqual(effective(all, source.key), values.flag[1], 'the flag wins over environment and module');

      const envAndModule = workerCommand(burstOn).layerOver(env)(module);
      assert.deepEqual(effective(envAndModule, source.key), values.env[1], 'the environment wins over the module');

      const moduleOnly = workerCommand(burstOn).layerOver({})(module);
      const moduleValue = source.key === 'burstNoWait' ? true : values.module;
      assert.deepEqual(effective(moduleOnly, source.key), moduleValue, 'a flag not given leaves the module alone');

      const none = workerCommand(burstOn).layerOver({})({ handlers });
      assert.equal(effective(none, source.key), source.key === 'burst' ? false : undefined, 'default stays default');
    });
  }

  it('keeps module settings that no flag or variable names', () => {
    const merged = workerCommand(['-q', 'x']).layerOver({ ARQ_MAX_RETRIES: '4' })({
      handlers,
      retryBackoff: 7,
      statsInterval: 0,
      maxConcurrentJobs: 5,
    });
    assert.deepEqual(merged, {
      handlers,
      retryBackoff: 7,
      statsInterval: 0,
      maxConcurrentJobs: 5,
      queue: 'x',
      maxRetries: 4,
    });
  });

  it('--no-burst turns off a module that asks for burst mode', () => {
    const merged = workerCommand(['--no-burst']).layerOver({})({ handlers, burst: { timeout: 5 } });
    assert.equal(merged.burst, undefined);
  });

  it('takes burst tuning from the environment when the flag turns burst on', () => {
    const merged = workerCommand(['--burst']).layerOver({ ARQ_BURST_TIMEOUT: '90' })({ handlers });
    assert.deepEqual(merged.burst, { timeout: 90_000 });
  });

  it('refuses a bad value naming the flag or the variable, every one at once', () => {
    assert.throws(() => workerCommand(['--job-timeout', '5x']).layerOver({}), /--job-timeout: "5x" is not a duration/);
    assert.throws(
      () => workerCommand([]).layerOver({ ARQ_MAX_RETRIES: 'x', ARQ_JOB_TIMEOUT: 'NaN' }),
      /ARQ_MAX_RETRIES: "x" is not a whole number; ARQ_JOB_TIMEOUT: "NaN" is not a duration/,
    );
    assert.throws(() => workerCommand(['-l', 'loud']).layerOver({}), /--log-level: "loud" is not one of debug/);
    assert.throws(() => workerCommand([]).layerOver({ ARQ_BURST: 'maybe' }), /ARQ_BURST: "maybe" is not a switch/);
  });
});

describe('options declared from workerOverrideTable', () => {
  it('--help of worker and validate-config lists every flag, its variable and its default', () => {
    for (const command of [WorkerCommand, ValidateConfigCommand]) {
      const cli = new Cli({ binaryName: 'arq-gen' });
      cli.register(command);
      const help = cli.usage(command, { detailed: true });
      for (const source of workerOverrideSources) {
        const names = source.short ? `${source.short},${source.flag}` : source.flag;
        assert.ok(help.includes(names), `${command.paths[0]!.join(' ')} --help lacks ${names}`);
        assert.ok(
          help.includes(`$${source.variable}`),
          `${command.paths[0]!.join(' ')} --help lacks ${source.variable}`,
        );
        if (source.default !== undefined) assert.ok(help.includes(`default ${source.default}`), source.flag);
      }
    }
  });

  it('validate-config takes the same overrides as worker, in the same order of precedence', () => {
    const cli = new Cli({ binaryName: 'arq-gen' });
    cli.register(ValidateConfigCommand);
    const command = cli.process(['validate-config', '-m', 'unused.ts', '-q', 'flag-q', '-t', '3m', '--burst']);
    const merged = (command as ValidateConfigCommand).layerOver({ ARQ_QUEUE: 'env-q', ARQ_MAX_RETRIES: '7' })({
      handlers,
      maxRetries: 1,
    });
    assert.deepEqual(merged, { handlers, queue: 'flag-q', jobTimeout: 180_000, maxRetries: 7, burst: {} });
  });
});

describe('setting text', () => {
  it('parses durations the same for flags and variables; a bare number is seconds', () => {
    assert.equal(parseDuration('300'), 300_000);
    assert.equal(parseDuration('300s'), 300_000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('1.5s'), 1_500);
    for (const bad of ['5x', 'NaN', '', '-1', '1e3', 'soon'])
      assert.throws(
        () => parseDuration(bad, 'ARQ_JOB_TIMEOUT'),
        /^InvalidSettings: ARQ_JOB_TIMEOUT: ".*" is not a duration/,
      );
  });

  it('parses whole numbers only', () => {
    assert.equal(parseWholeNumber('12', 'X'), 12);
    for (const bad of ['1.5', '-2', 'x', ''])
      assert.throws(() => parseWholeNumber(bad, 'ARQ_MAX_RETRIES'), /ARQ_MAX_RETRIES: .* is not a whole number/);
  });

  it('splits path:export, defaulting to the default export', () => {
    assert.deepEqual(parseModuleSpec('./workers.ts:workerSettings'), {
      file: './workers.ts',
      exportName: 'workerSettings',
    });
    assert.deepEqual(parseModuleSpec('./workers.ts'), { file: './workers.ts', exportName: 'default' });
    assert.deepEqual(parseModuleSpec('C:\\app\\workers.ts'), { file: 'C:\\app\\workers.ts', exportName: 'default' });
  });

  it('applies layers lowest first', () => {
    assert.deepEqual(
      applyWorkerOverrides({ handlers, maxRetries: 1 }, { maxRetries: 2 }, { maxRetries: 3 }).maxRetries,
      3,
    );
    assert.deepEqual(applyWorkerOverrides({ handlers, maxRetries: 1 }, { maxRetries: 2 }, {}).maxRetries, 2);
  });
});

describe('a worker started through npm', () => {
  it('warns that npm will not pass SIGTERM on, for npx, npm start and npm run, and not for a test run below npm', () => {
    const npx = { npm_command: 'exec', npm_lifecycle_script: 'rabbitmq-arq' };
    assert.match(startedThroughNpmWarning(npx) ?? '', /^warning: started through npm \(exec\).*SIGTERM/);
    const start = { npm_command: 'start', npm_lifecycle_script: 'rabbitmq-arq worker -m dist/worker.js' };
    assert.match(startedThroughNpmWarning(start) ?? '', /node_modules\/\.bin\/rabbitmq-arq worker/);
    const here = { npm_command: 'run-script', npm_lifecycle_script: 'tsx cli/main.ts' };
    assert.ok(startedThroughNpmWarning(here));
    const tests = { npm_command: 'test', npm_lifecycle_script: 'node scripts/run-tests.mjs' };
    assert.equal(startedThroughNpmWarning(tests), undefined);
    assert.equal(startedThroughNpmWarning({}), undefined);
  });
});
