// What `rabbitmq-arq --help` and `arq-gen --help`, each command's `--help` and a usage error print: every option value has a
// name (`--queue QUEUE`), never clipanion's `#0` placeholder.
import * as assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { cli } from '../../cli/main.js';
import { cli as generatorCli } from '../../generator/main.js';
import { namePlaceholders } from '../../cli/usage-placeholders.js';

/** Runs `rabbitmq-arq <args>` (or the generator's `arq-gen <args>`) in process and returns what it wrote. */
async function output(args: string[], program = cli): Promise<string> {
  let text = '';
  const stdout = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  await program.run(args, { stdin: process.stdin, stdout, stderr: stdout, env: {}, colorDepth: 1 });
  return text;
}

describe('help output', () => {
  it('names option values after the option, also for short-only and multi-value options', () => {
    assert.equal(namePlaceholders('rabbitmq-arq x [-u,--rabbitmq-url #0]'), 'rabbitmq-arq x [-u,--rabbitmq-url URL]');
    assert.equal(namePlaceholders('<-m,--worker-module #0> [--rate #0]'), '<-m,--worker-module MODULE> [--rate RATE]');
    assert.equal(namePlaceholders('[-x #0]'), '[-x VALUE]');
    assert.equal(namePlaceholders('[--point #0 #1]'), '[--point POINT POINT2]');
  });

  it('`--help` and every command’s `--help` show no #0 placeholder', async () => {
    const commands = cli.definitions().map((definition) => definition.path.replace(/^rabbitmq-arq ?/, ''));
    assert.ok(commands.length >= 13, `only ${commands.length} commands`);
    const general = await output(['--help']);
    assert.match(general, /\[-q,--queue QUEUE\]/);
    assert.doesNotMatch(general, /#\d/);
    for (const command of commands) {
      const help = await output([...command.split(' '), '--help']);
      assert.match(help, /Usage/, `rabbitmq-arq ${command} --help printed no usage`);
      assert.doesNotMatch(help, /#\d/, `rabbitmq-arq ${command} --help:\n${help}`);
    }
  });

  it('`arq-gen generate --help` shows no #0 placeholder', async () => {
    const help = await output(['generate', '--help'], generatorCli);
    assert.match(help, /--schema SCHEMA/);
    assert.doesNotMatch(help, /#\d/);
  });

  it('a usage error shows the command line with named values', async () => {
    const error = await output(['queue-info']);
    assert.match(error, /<-q,--queue QUEUE>/);
    assert.doesNotMatch(error, /#\d/);
  });
});
