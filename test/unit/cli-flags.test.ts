// One meaning per flag across the commands of `arq-gen`: `-m` is always the worker module, `-q` always
// the queue, and the result store's key prefix is `--result-key-prefix` wherever a command takes one.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cli } from '../../cli/main.js';

/** Every option of every command, as clipanion lists it: `-m,--module #0`. */
const options = cli
  .definitions()
  .flatMap((command) =>
    command.options.map((option) => ({ command: command.path, names: option.definition.split(' ')[0]!.split(',') })),
  );

/** The long names that a short flag stands for, across all commands. */
function meaningsOf(short: string): Set<string> {
  return new Set(options.filter((option) => option.names.includes(short)).map((option) => option.names.at(-1)!));
}

describe('arq-gen flags', () => {
  it('-m is --module in every command that takes it', () => {
    assert.deepEqual([...meaningsOf('-m')], ['--module']);
  });

  it('-q is --queue in every command that takes it', () => {
    assert.deepEqual([...meaningsOf('-q')], ['--queue']);
  });

  it('enqueue takes the schema as --schema, with no short flag', () => {
    const schema = options.filter(
      (option) => option.command === 'rabbitmq-arq enqueue' && option.names.includes('--schema'),
    );
    assert.deepEqual(
      schema.map((option) => option.names),
      [['--schema']],
    );
  });

  it('names the key prefix --result-key-prefix everywhere', () => {
    const prefixes = options.filter((option) => option.names.some((name) => name.endsWith('key-prefix')));
    assert.ok(prefixes.length > 0);
    for (const option of prefixes) assert.deepEqual(option.names, ['--result-key-prefix'], option.command);
  });
});
