// The disk side of generate: what is written, what is never touched, what --check reports, and the
// folders it refuses.
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runGenerate } from '../../generator/generate.js';
import { createScratch, schemaFile } from './scratch.js';
import type { Scratch } from './scratch.js';

const scratches: Scratch[] = [];
after(() => scratches.forEach((scratch) => scratch.remove()));

const twoJobs = schemaFile(`{
  queue: 'q',
  jobs: {
    first: { args: z.object({ id: z.number() }) },
    second: { args: z.object({ at: isoDate }), result: z.object({ ok: z.boolean() }) },
  },
}`);

function project(files: Record<string, string> = { 'jobs.schema.ts': twoJobs }): Scratch {
  const scratch = createScratch(files);
  scratches.push(scratch);
  return scratch;
}

const read = (scratch: Scratch, path: string): string => readFileSync(join(scratch.folder, path), 'utf8');

describe('emit and check', { concurrency: true }, () => {
  describe('generate', { concurrency: true }, () => {
    it('writes the output folder and scaffolds handlers, then leaves an up-to-date folder alone', async () => {
      const scratch = project();
      const first = await runGenerate(scratch.options());
      assert.equal(first.exitCode, 0, first.errors.join('\n'));
      assert.deepEqual(readdirSync(join(scratch.folder, 'generated')).sort(), [
        'asyncapi.json',
        'client.ts',
        'index.ts',
        'manifest.json',
        'schemas',
        'types.ts',
        'worker.ts',
      ]);
      assert.deepEqual(readdirSync(join(scratch.folder, 'generated/schemas')).sort(), [
        'envelope.bundled.json',
        'envelope.json',
        'first.args.json',
        'second.args.json',
        'second.result.json',
      ]);
      assert.deepEqual(readdirSync(join(scratch.folder, 'handlers')).sort(), ['first.ts', 'index.ts', 'second.ts']);
      assert.match(first.messages[0] ?? '', /^generated\/: 11 written, 0 unchanged \(2 jobs from jobs\.schema\.ts\)$/);
      assert.ok(first.messages.includes('created handlers/first.ts'));

      const second = await runGenerate(scratch.options());
      assert.equal(second.exitCode, 0);
      assert.deepEqual(second.messages, ['generated/: 0 written, 11 unchanged (2 jobs from jobs.schema.ts)']);

      const check = await runGenerate(scratch.options({ check: true }));
      assert.equal(check.exitCode, 0);
      assert.deepEqual(check.messages, ['generated/ is up to date with jobs.schema.ts']);
    });

    it('never overwrites a handler; a new job gets its stub, a removed job is reported and kept', async () => {
      const scratch = project();
      await runGenerate(scratch.options());
      const mine = "// my own work\nconst handler = async () => 'done';\nexport default handler;\n";
      scratch.write('handlers/first.ts', mine);
      const index = read(scratch, 'handlers/index.ts');

      scratch.write(
        'jobs.schema.ts',
        schemaFile(`{
  queue: 'q',
  jobs: {
    first: { args: z.object({ id: z.number(), more: z.string() }) },
    third: { args: z.object({}) },
  },
}`),
      );
      const report = await runGenerate(scratch.options());
      assert.equal(report.exitCode, 0, report.errors.join('\n'));
      assert.equal(read(scratch, 'handlers/first.ts'), mine);
      assert.equal(read(scratch, 'handlers/index.ts'), index, 'handlers/index.ts is the user’s once created');
      assert.ok(existsSync(join(scratch.folder, 'handlers/third.ts')));
      assert.ok(existsSync(join(scratch.folder, 'handlers/second.ts')), 'a removed job’s handler is never deleted');
      assert.ok(report.messages.includes('created handlers/third.ts'));
      assert.ok(
        report.messages.some((line) =>
          /^add the new job to handlers\/index\.ts: import thirdHandler from '\.\/third\.js'/.test(line),
        ),
      );
      assert.ok(
        report.messages.includes(
          "handlers/second.ts matches no job in jobs.schema.ts (a removed job's handler?); it was left as it is",
        ),
      );
    });

    it('removes output files it no longer renders, and keeps dot-files', async () => {
      const scratch = project();
      await runGenerate(scratch.options());
      scratch.write('generated/old-job.ts', '// from an older generator\n');
      scratch.write('generated/.gitkeep', '');
      const report = await runGenerate(scratch.options());
      assert.equal(report.exitCode, 0);
      assert.ok(report.messages.includes('removed generated/old-job.ts (nothing generates it any more)'));
      assert.equal(existsSync(join(scratch.folder, 'generated/old-job.ts')), false);
      assert.ok(existsSync(join(scratch.folder, 'generated/.gitkeep')));
    });

    it('refuses a non-empty output folder it did not generate, writing nothing (exit 3)', async () => {
      const scratch = project({ 'jobs.schema.ts': twoJobs, 'src/app.ts': 'export const app = 1;\n' });
      const report = await runGenerate(scratch.options({ out: 'src' }));
      assert.equal(report.exitCode, 3);
      assert.match(
        report.errors[0] ?? '',
        /^arq-gen: refusing to write into src\/: it is not empty and has no manifest\.json written by arq-gen/,
      );
      assert.deepEqual(readdirSync(join(scratch.folder, 'src')), ['app.ts']);
      assert.equal(existsSync(join(scratch.folder, 'handlers')), false);

      // A manifest of someone else's tool does not make the folder ours.
      scratch.write('src/manifest.json', '{"generator":{"name":"other"}}\n');
      assert.equal((await runGenerate(scratch.options({ out: 'src' }))).exitCode, 3);
    });

    it('accepts an empty output folder, or one holding only dot-files', async () => {
      const scratch = project();
      mkdirSync(join(scratch.folder, 'out'));
      writeFileSync(join(scratch.folder, 'out/.gitkeep'), '');
      const report = await runGenerate(scratch.options({ out: 'out' }));
      assert.equal(report.exitCode, 0, report.errors.join('\n'));
      assert.ok(existsSync(join(scratch.folder, 'out/client.ts')));
    });

    it('refuses an output folder that holds the schema or the handlers (exit 3)', async () => {
      const scratch = project();
      const report = await runGenerate(scratch.options({ out: '.' }));
      assert.equal(report.exitCode, 3);
      assert.match(report.errors[0] ?? '', /the schema file is inside it/);
      const nested = await runGenerate(scratch.options({ out: 'gen', handlers: 'gen/handlers' }));
      assert.equal(nested.exitCode, 3);
      assert.match(nested.errors[0] ?? '', /the handlers folder is inside it/);
    });

    it('exits 3 when the schema file cannot be read', async () => {
      const scratch = project();
      const report = await runGenerate(scratch.options({ schema: 'nope.schema.ts' }));
      assert.equal(report.exitCode, 3);
      assert.match(
        report.errors[0] ?? '',
        /^arq-gen: cannot read the schema file nope\.schema\.ts: no such file \(pass its path with --schema\)$/,
      );
    });
  });

  describe('generate --check', { concurrency: true }, () => {
    it('lists stale, missing and extra files with the command that fixes them, writing nothing (exit 1)', async () => {
      const scratch = project();
      await runGenerate(scratch.options());
      scratch.write('generated/client.ts', read(scratch, 'generated/client.ts') + '// edited\n');
      scratch.write('generated/stray.ts', '// not ours\n');
      rmSync(join(scratch.folder, 'generated/types.ts'));
      const before = new Map(
        ['client.ts', 'stray.ts', 'manifest.json'].map((file) => [file, read(scratch, `generated/${file}`)]),
      );

      const report = await runGenerate(scratch.options({ check: true }));
      assert.equal(report.exitCode, 1);
      assert.deepEqual(report.errors, [
        'generated/ is stale: run `arq-gen generate` and commit the result',
        '  stale:   generated/client.ts',
        '  missing: generated/types.ts',
        '  extra:   generated/stray.ts',
      ]);
      for (const [file, content] of before) assert.equal(read(scratch, `generated/${file}`), content);
      assert.equal(existsSync(join(scratch.folder, 'generated/types.ts')), false);
    });

    it('reports a schema edit as stale, and names non-default flags in the fix', async () => {
      const scratch = project({ 'schema/jobs.ts': twoJobs });
      const options = scratch.options({ schema: 'schema/jobs.ts', out: 'src/gen', handlers: 'src/handlers' });
      assert.equal((await runGenerate(options)).exitCode, 0);
      scratch.write('schema/jobs.ts', twoJobs.replace("queue: 'q'", "queue: 'other'"));
      const report = await runGenerate({ ...options, check: true });
      assert.equal(report.exitCode, 1);
      assert.equal(
        report.errors[0],
        'src/gen/ is stale: run `arq-gen generate --schema schema/jobs.ts --out src/gen --handlers src/handlers` and commit the result',
      );
      assert.ok(report.errors.includes('  stale:   src/gen/manifest.json'));
      assert.ok(
        !report.errors.includes('  stale:   src/gen/worker.ts'),
        'the worker wiring reads the queue from the schema at run time',
      );
    });

    it('reports everything missing when nothing was generated yet', async () => {
      const scratch = project();
      const report = await runGenerate(scratch.options({ check: true }));
      assert.equal(report.exitCode, 1);
      assert.equal(report.errors.filter((line) => line.startsWith('  missing: ')).length, 11);
      assert.equal(existsSync(join(scratch.folder, 'generated')), false);
    });

    it('still exits 2 on schema errors', async () => {
      const scratch = project({ 'jobs.schema.ts': schemaFile("{ jobs: { 'a-b': { args: z.object({}) } } }") });
      assert.equal((await runGenerate(scratch.options({ check: true }))).exitCode, 2);
    });
  });
});
