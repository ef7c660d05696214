// Bad schema files: each kind of mistake exits 2, names the file and line, says what to do, and
// writes nothing.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runGenerate } from '../../generator/generate.js';
import { createScratch, schemaFile } from './scratch.js';
import type { Scratch } from './scratch.js';

const scratches: Scratch[] = [];
after(() => scratches.forEach((scratch) => scratch.remove()));

interface Case {
  name: string;
  files: Record<string, string>;
  /** Every pattern must match one of the error lines. */
  expect: RegExp[];
}

const cases: Case[] = [
  {
    name: 'a syntax error, with its line and column',
    files: {
      'jobs.schema.ts': "import { z } from 'zod';\nexport default {\n  jobs: { a: { args: z.object({}) },, },\n};\n",
    },
    expect: [/^jobs\.schema\.ts:3:\d+: syntax error: /],
  },
  {
    name: 'an import of a missing file, at the import line',
    files: {
      'jobs.schema.ts':
        "import { z } from 'zod';\nimport { more } from './more.js';\nexport default { jobs: { a: { args: z.object({}) }, ...more } };\n",
    },
    expect: [/^jobs\.schema\.ts:2: cannot import "\.\/more\.js": no such module/],
  },
  {
    name: 'an import of a missing package, at the import line',
    files: {
      'jobs.schema.ts':
        "import { z } from 'zod';\nimport { more } from 'no-such-package';\nexport default { jobs: { a: { args: z.object({}) }, ...more } };\n",
    },
    expect: [/^jobs\.schema\.ts:2: cannot import "no-such-package": no such module/],
  },
  {
    name: 'a syntax error in an imported file, in that file',
    files: {
      'jobs.schema.ts':
        "import { z } from 'zod';\nimport { more } from './more.js';\nexport default { jobs: { a: { args: z.object({}) }, ...more } };\n",
      'more.ts': 'export const more = {\n  b: 1,,\n};\n',
    },
    expect: [/^more\.ts:2:\d+: syntax error: /],
  },
  {
    name: 'an error thrown while the schema runs, where it was thrown',
    files: {
      'jobs.schema.ts':
        "import { z } from 'zod';\nconst args = z.object({});\nif (args) throw new Error('no config');\nexport default { jobs: { a: { args } } };\n",
    },
    expect: [/^jobs\.schema\.ts:3:\d+: running the schema file threw Error: no config/],
  },
  {
    name: 'a missing default export',
    files: { 'jobs.schema.ts': "import { z } from 'zod';\nexport const jobs = { a: { args: z.object({}) } };\n" },
    expect: [/^jobs\.schema\.ts: has no default export; end it with `export default defineJobs\(/],
  },
  {
    name: 'a default export that is not from defineJobs',
    files: { 'jobs.schema.ts': "import { z } from 'zod';\n\nexport default { a: { args: z.object({}) } };\n" },
    expect: [
      /^jobs\.schema\.ts:3:1: the default export must be `defineJobs\(\{ jobs: \{ \.\.\. \} \}\)`.*whose `jobs` is missing/,
    ],
  },
  {
    name: 'a default export that is an array',
    files: { 'jobs.schema.ts': 'export default [];\n' },
    expect: [/^jobs\.schema\.ts:1:1: the default export must be `defineJobs.*but it is an array/],
  },
  {
    name: 'args that are not a z.object',
    files: {
      'jobs.schema.ts': schemaFile(`{
  jobs: {
    str: { args: z.string() },
    plain: { args: { id: z.string() } },
    missing: { description: 'no args' },
  },
} as never`),
    },
    expect: [
      /^jobs\.schema\.ts:7:5: job "str": args must be a z\.object\(\{ \.\.\. \}\).*but it is a Zod string schema/,
      /^jobs\.schema\.ts:8:5: job "plain": args must be a z\.object.*but it is an object/,
      /^jobs\.schema\.ts:9:5: job "missing": args must be a z\.object.*but it is missing/,
    ],
  },
  {
    name: 'job names that are not JavaScript identifiers, with a suggestion',
    files: {
      'jobs.schema.ts': schemaFile(`{
  jobs: {
    'process-data': { args: z.object({}) },
    '1st': { args: z.object({}) },
    'has space': { args: z.object({}) },
  },
}`),
    },
    expect: [
      /^jobs\.schema\.ts:7:5: job "process-data": job name "process-data" is not a valid JavaScript identifier, so `enqueue\.process-data\(\.\.\.\)` could not be called.*"process_data"/,
      /^jobs\.schema\.ts:8:5: job "1st": .*not a valid JavaScript identifier.*"_1st"/,
      /^jobs\.schema\.ts:9:5: job "has space": .*not a valid JavaScript identifier.*"has_space"/,
    ],
  },
  {
    name: 'job names that would clash with a file or with JavaScript: index, a Windows device name, __proto__, then',
    files: {
      'jobs.schema.ts': schemaFile(`{
  jobs: {
    Index: { args: z.object({}) },
    con: { args: z.object({}) },
    ['__proto__']: { args: z.object({}) },
    then: { args: z.object({}) },
  },
}`),
    },
    expect: [
      /job "Index": .*would share its handler file with handlers\/index\.ts/,
      /job "con": .*cannot name a file on Windows/,
      /job "__proto__": .*reserved/,
      /job "then": job name "then" would make the enqueue object look like a promise/,
    ],
  },
  {
    name: 'two job names equal but for case, from a spread object',
    files: {
      'jobs.schema.ts': schemaFile(`{
  jobs: {
    processData: { args: z.object({}) },
    ...shared,
  },
}`).replace('void isoDate;', 'void isoDate;\nconst shared = { ProcessData: { args: z.object({}) } };'),
    },
    expect: [
      /^jobs\.schema\.ts:5:18: job "ProcessData": duplicate job name: "ProcessData" and "processData" differ only in case, so handlers\/ProcessData\.ts and handlers\/processData\.ts would be the same file on case-insensitive disks/,
    ],
  },
  {
    name: 'invalid queue names, per job and as the default',
    files: {
      'jobs.schema.ts': schemaFile(`{
  queue: 'amq.gen',
  jobs: {
    empty: { args: z.object({}), queue: '' },
    long: { args: z.object({}), queue: 'q'.repeat(201) },
    star: { args: z.object({}), queue: 'a.*' },
    hash: { args: z.object({}), queue: 'a.#' },
    space: { args: z.object({}), queue: 'a b' },
    reserved: { args: z.object({}), queue: 'amq.mine' },
  },
}`),
    },
    expect: [
      /^jobs\.schema\.ts:5:1: invalid queue name "amq\.gen" for the default `queue`: it must not start with "amq\."/,
      /job "empty": invalid queue name "" for `queue`: it must not be empty/,
      /job "long": invalid queue name "q+\.\.\." for `queue`: it must be at most 200 characters/,
      /job "star": .*must not contain "\*", "#" or whitespace/,
      /job "hash": .*must not contain "\*", "#" or whitespace/,
      /job "space": .*must not contain "\*", "#" or whitespace/,
      /job "reserved": .*must not start with "amq\."/,
    ],
  },
  {
    name: 'z.date() and other types that cannot travel as JSON, by field path',
    files: {
      'jobs.schema.ts': schemaFile(`{
  jobs: {
    dated: {
      args: z.object({ when: z.date(), items: z.array(z.object({ at: z.date().optional() })), ok: isoDate }),
      result: z.object({ finishedAt: z.date() }),
    },
    big: { args: z.object({ n: z.bigint(), tags: z.set(z.string()), byKey: z.map(z.string(), z.number()) }) },
    shaped: {
      args: z.object({
        name: z.string().transform((name) => name.trim()),
        count: z.preprocess((value) => Number(value), z.number()),
        onDone: z.function(),
      }),
      result: z.object({ length: z.string().transform((text) => text.length) }),
    },
  },
}`),
    },
    expect: [
      /job "big": args field "byKey": z\.map\(\) cannot travel as JSON; use z\.record\(\)/,
      /^jobs\.schema\.ts:12:5: job "shaped": args field "name": a transform \(\.transform\(\) or z\.preprocess\(\)\) cannot travel as JSON: the client encodes arguments with z\.encode.*use z\.codec\(\) with both decode and encode$/,
      /job "shaped": args field "count": a transform/,
      /job "shaped": args field "onDone": a function cannot travel as JSON; send data/,
      /job "shaped": result field "length": a transform .* consumers in other languages cannot see what it does/,
      /^jobs\.schema\.ts:7:5: job "dated": args field "when": z\.date\(\) cannot travel as JSON; use isoDate from 'rabbitmq-arq'/,
      /job "dated": args field "items\[\]\.at": z\.date\(\) cannot travel as JSON; use isoDate/,
      /job "dated": result field "finishedAt": z\.date\(\) cannot travel as JSON; use isoDate/,
      /job "big": args field "n": z\.bigint\(\) cannot travel as JSON/,
      /job "big": args field "tags": z\.set\(\) cannot travel as JSON/,
    ],
  },
  {
    name: 'unknown keys and bad per-job numbers',
    files: {
      'jobs.schema.ts': schemaFile(`{
  jobs: {
    typo: { args: z.object({}), maxRetry: 3 },
    numbers: { args: z.object({}), maxRetries: -1, timeout: 1.5, description: 7 },
  },
} as never`),
    },
    expect: [
      /job "typo": unknown key "maxRetry"; a job's keys are description, args, result, queue, maxRetries, timeout/,
      /job "numbers": maxRetries must be a whole number, 0 or more/,
      /job "numbers": timeout must be a whole number of milliseconds greater than 0, but it is number 1\.5/,
      /job "numbers": description must be a string/,
    ],
  },
  {
    name: 'schedules with a bad cron, time zone or arguments',
    files: {
      'jobs.schema.ts': schemaFile(`{
  jobs: {
    nightly: {
      args: z.object({ region: z.enum(['eu', 'us']) }),
      schedules: [
        { cron: '0 3 * * *', tz: 'Europe/Berlin', args: { region: 'eu' } },
        { cron: '61 * * * *', args: { region: 'eu' } },
        { cron: '0 3 * * *', tz: 'Europe/Atlantis', args: { region: 'us' } },
        { cron: '0 3 * * *', args: { region: 'mars' } },
      ],
    },
  },
}`),
    },
    expect: [
      /^jobs\.schema\.ts:\d+:\d+: job "nightly": schedules\[1\]: cron "61 \* \* \* \*" is not a valid expression/,
      /job "nightly": schedules\[2\]: tz "Europe\/Atlantis" is not an IANA time zone/,
      /job "nightly": schedules\[3\]: args fail the job's schema: region/,
    ],
  },
  {
    name: 'a schema in a CommonJS package (no "type": "module")',
    files: {
      'package.json': '{ "name": "commonjs-app", "version": "1.0.0" }\n',
      'jobs.schema.ts': schemaFile('{ jobs: { ping: { args: z.object({ at: isoDate }) } } }'),
    },
    expect: [
      /^jobs\.schema\.ts: package\.json makes jobs\.schema\.ts CommonJS, and rabbitmq-arq is an ES module package: add "type": "module" to that package\.json/,
    ],
  },
  {
    name: 'a schema without jobs',
    files: { 'jobs.schema.ts': schemaFile('{ jobs: {} }') },
    expect: [/^jobs\.schema\.ts:5:1: defines no jobs; add one under `jobs`/],
  },
];

describe('bad schema files exit 2 with clear errors', { concurrency: true }, () => {
  for (const testCase of cases) {
    it(testCase.name, async () => {
      const scratch = createScratch(testCase.files);
      scratches.push(scratch);
      const report = await runGenerate(scratch.options());
      assert.equal(report.exitCode, 2, report.errors.join('\n'));
      for (const pattern of testCase.expect) {
        assert.ok(
          report.errors.some((line) => pattern.test(line)),
          `no error line matches ${pattern}:\n${report.errors.join('\n')}`,
        );
      }
      const problems = report.errors.length - 1;
      assert.match(
        report.errors.at(-1) ?? '',
        new RegExp(`^arq-gen: ${problems} problems? in jobs\\.schema\\.ts; nothing was written$`),
      );
      assert.equal(existsSync(join(scratch.folder, 'generated')), false, 'nothing may be written');
      assert.equal(existsSync(join(scratch.folder, 'handlers')), false, 'nothing may be written');
    });
  }
});
