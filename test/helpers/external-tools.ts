/**
 * Tools some tests need beyond Node and RabbitMQ (Debian's Python and Go packages). Outside CI a
 * missing tool skips the test with a line naming it, so a newcomer's `npm test` passes; in CI
 * (`CI=true`) the test runs and fails on the first line, so CI still proves what it claims.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface ExternalTool {
  name: string;
  /** What installs it. */
  install: string;
  present: () => boolean;
}

const runs = (file: string, args: string[]): boolean => spawnSync(file, args, { stdio: 'ignore' }).status === 0;

export const pythonWithPikaAndJsonschema: ExternalTool = {
  name: '/usr/bin/python3 with pika and jsonschema',
  install: 'apt install python3-pika python3-jsonschema',
  present: () => runs('/usr/bin/python3', ['-c', 'import pika, jsonschema']),
};

export const goWithAmqp091: ExternalTool = {
  name: 'go, gofmt and amqp091-go in /usr/share/gocode',
  install: 'apt install golang-go golang-github-rabbitmq-amqp091-go-dev',
  present: () =>
    runs('go', ['version']) &&
    runs('gofmt', ['-l']) &&
    existsSync('/usr/share/gocode/src/github.com/rabbitmq/amqp091-go'),
};

export const goWithJsonSchema: ExternalTool = {
  name: 'go and gojsonschema in /usr/share/gocode',
  install: 'apt install golang-go golang-github-xeipuuv-gojsonschema-dev',
  present: () => runs('go', ['version']) && existsSync('/usr/share/gocode/src/github.com/xeipuuv/gojsonschema'),
};

function inCI(): boolean {
  return process.env.CI === 'true' || process.env.CI === '1';
}

/** The test's `skip` option: a reason naming what is missing, or false (present, or in CI). */
export function skipUnlessPresent(...tools: ExternalTool[]): string | false {
  const missing = tools.filter((tool) => !tool.present());
  if (missing.length === 0 || inCI()) return false;
  return `needs ${missing.map((tool) => `${tool.name} (${tool.install})`).join(', ')}; CI runs it`;
}

/** First line of such a test: in CI, a missing tool fails it with what to install. */
export function assertPresent(...tools: ExternalTool[]): void {
  const missing = tools.filter((tool) => !tool.present());
  if (missing.length > 0)
    throw new Error(`missing ${missing.map((tool) => `${tool.name}: ${tool.install}`).join('; ')}`);
}
