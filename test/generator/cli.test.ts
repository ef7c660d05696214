// The `arq-gen generate` command as a user runs it: flags, exit codes, stdout and stderr.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runArqGen } from '../helpers/cli.js';
import { repoRoot } from './fixtures.js';
import { createScratch, schemaFile } from './scratch.js';
import type { Scratch } from './scratch.js';

const scratches: Scratch[] = [];
after(() => scratches.forEach((scratch) => scratch.remove()));

/** Runs `arq-gen <args>` from the repo root, like `npm run arq-gen -- <args>`. */
const arqGen = (args: string[]) => runArqGen(args, {}, repoRoot);

function project(files: Record<string, string>): { scratch: Scratch; flags: string[] } {
  const scratch = createScratch(files);
  scratches.push(scratch);
  const relative = scratch.folder.slice(repoRoot.length);
  return {
    scratch,
    flags: [
      '--schema',
      `${relative}/jobs.schema.ts`,
      '--out',
      `${relative}/generated`,
      '--handlers',
      `${relative}/handlers`,
    ],
  };
}

describe('arq-gen generate', { concurrency: true }, () => {
  it('exits 0 and writes the files, then --check exits 0', async () => {
    const { scratch, flags } = project({ 'jobs.schema.ts': schemaFile('{ jobs: { ping: { args: z.object({}) } } }') });
    const result = await arqGen(['generate', ...flags]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /generated\/: 9 written, 0 unchanged \(1 job from .*jobs\.schema\.ts\)/);
    assert.ok(existsSync(join(scratch.folder, 'handlers/ping.ts')));
    const check = await arqGen(['generate', '--check', ...flags]);
    assert.equal(check.code, 0, check.stderr);
  });

  it('exits 1 with the fix when --check finds stale files', async () => {
    const { flags } = project({ 'jobs.schema.ts': schemaFile('{ jobs: { ping: { args: z.object({}) } } }') });
    const result = await arqGen(['generate', '--check', ...flags]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /generated\/ is stale: run `arq-gen generate --schema .* --out .* --handlers .*` and commit the result/,
    );
    assert.match(result.stderr, /missing: .*generated\/client\.ts/);
  });

  it('exits 2 on a schema error, with the file and line on stderr', async () => {
    const { flags } = project({ 'jobs.schema.ts': schemaFile("{ jobs: { 'bad-name': { args: z.object({}) } } }") });
    const result = await arqGen(['generate', ...flags]);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /jobs\.schema\.ts:5:\d+: job "bad-name": job name "bad-name" is not a valid JavaScript identifier/,
    );
  });

  it('prints schema-evolution warnings on stderr and still exits 0', async () => {
    const { scratch, flags } = project({
      'jobs.schema.ts': schemaFile('{ jobs: { ping: { args: z.object({ id: z.string() }) } } }'),
    });
    assert.equal((await arqGen(['generate', ...flags])).code, 0);
    scratch.write('jobs.schema.ts', schemaFile('{ jobs: { ping: { args: z.object({ id: z.number() }) } } }'));
    const result = await arqGen(['generate', ...flags]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /generated\/: \d+ written/);
    assert.match(
      result.stderr,
      /jobs\.schema\.ts:5:\d+: warning: job "ping": args field "id" changed type from string to number: .*dead-lettered as INVALID_JOB_ARGS/,
    );
    assert.doesNotMatch(result.stdout, /warning/);
  });

  it('exits 3 when refusing a folder, and for --watch with --check', async () => {
    const { scratch, flags } = project({
      'jobs.schema.ts': schemaFile('{ jobs: { ping: { args: z.object({}) } } }'),
      'src/app.ts': 'export const app = 1;\n',
    });
    const out = `${scratch.folder.slice(repoRoot.length)}/src`;
    const refused = await arqGen(['generate', ...flags.slice(0, 2), '--out', out]);
    assert.equal(refused.code, 3);
    assert.match(refused.stderr, /refusing to write into .*\/src\/: it is not empty/);
    const both = await arqGen(['generate', '--watch', '--check', ...flags]);
    assert.equal(both.code, 3);
    assert.match(both.stderr, /--watch and --check cannot be combined/);
  });

  it('documents its flags in --help', async () => {
    const result = await arqGen(['generate', '--help']);
    assert.equal(result.code, 0);
    for (const flag of ['--schema', '--out', '--handlers', '--check', '--watch'])
      assert.ok(result.stdout.includes(flag), flag);
  });

  it('does not run when imported', async () => {
    const module = await import('../../generator/main.js');
    assert.equal(module.cli.binaryName, 'arq-gen');
  });
});
