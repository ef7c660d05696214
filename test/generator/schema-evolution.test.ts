// Schema evolution: a change of a job's arguments that would dead-letter jobs already queued is a
// warning naming the job, the field and the safe alternative; an additive change says nothing. The
// warnings never change the exit code, and --check stays a byte comparison.
import * as assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { z } from 'zod';
import { convertJsonSchema } from '../../generator/convert-json-schema.js';
import { runGenerate } from '../../generator/generate.js';
import { compareArgsSchemas } from '../../generator/schema-evolution.js';
import { isoDate } from '../../runtime/index.js';
import { createScratch, schemaFile } from './scratch.js';
import type { Scratch } from './scratch.js';

const scratches: Scratch[] = [];
after(() => scratches.forEach((scratch) => scratch.remove()));

const json = (schema: z.ZodType): Record<string, unknown> => convertJsonSchema(schema, 'input', isoDate).jsonSchema;

/** `path: change` of every narrowing from `before` to `after`. */
function narrowings(before: z.ZodType, after: z.ZodType): string[] {
  return compareArgsSchemas(json(before), json(after)).map((narrowing) => `${narrowing.path}: ${narrowing.change}`);
}

const line = z.object({ sku: z.string(), quantity: z.number().int().positive().default(1) });
const base = z.object({
  id: z.number().int(),
  action: z.enum(['process', 'retry', 'cleanup']),
  note: z.string().optional(),
  email: z.email().nullable(),
  amount: z.number(),
  tags: z.array(z.string()).min(1),
  lines: z.array(line),
  at: isoDate,
});

describe('compareArgsSchemas', () => {
  const breaking: Array<[string, z.ZodType, string[]]> = [
    ['a new required field', base.extend({ priority: z.number() }), ['priority: is new and required']],
    ['an optional field made required', base.extend({ note: z.string() }), ['note: became required']],
    [
      'a removed enum value',
      base.extend({ action: z.enum(['process', 'retry']) }),
      ['action: no longer accepts "cleanup" (removed from the enum)'],
    ],
    [
      'number narrowed to integer',
      base.extend({ amount: z.number().int() }),
      ['amount: no longer accepts fractional numbers (number became integer)'],
    ],
    ['nullable dropped', base.extend({ email: z.email() }), ['email: no longer accepts null (it was nullable)']],
    ['a type changed', base.extend({ id: z.string() }), ['id: changed type from integer to string']],
    [
      'a string narrowed to an enum',
      base.extend({ note: z.enum(['a', 'b']).optional() }),
      ['note: now only accepts "a", "b"'],
    ],
    ['a tighter minimum', base.extend({ amount: z.number().min(10) }), ['amount: now refuses numbers below 10']],
    ['a tighter array bound', base.extend({ tags: z.array(z.string()).min(2) }), ['tags: minItems rose to 2 (from 1)']],
    ['a new pattern', base.extend({ note: z.string().regex(/^x/).optional() }), ['note: now has to match a pattern']],
    [
      'a new required field inside an array of objects',
      base.extend({ lines: z.array(line.extend({ warehouse: z.string() })) }),
      ['lines[].warehouse: is new and required'],
    ],
    [
      'a default removed (old producers may have left the field out)',
      base.extend({ lines: z.array(line.extend({ quantity: z.number().int().positive() })) }),
      ['lines[].quantity: became required'],
    ],
    ['z.object made strict', z.strictObject(base.shape), [': now refuses unknown keys']],
    ['a union branch removed', base.extend({ id: z.number().int().or(z.string()) }), []],
  ];
  for (const [what, after, expected] of breaking) {
    it(`warns about ${what}`, () => {
      if (what === 'a union branch removed') {
        const before = base.extend({ id: z.union([z.number().int(), z.string(), z.boolean()]) });
        assert.deepEqual(narrowings(before, after), ['id: no longer accepts boolean']);
        return;
      }
      assert.deepEqual(narrowings(base, after), expected);
    });
  }

  it('warns when a field is removed from a strict object, and names each fix', () => {
    const before = z.strictObject({ a: z.string(), b: z.string().optional() });
    const result = compareArgsSchemas(json(before), json(z.strictObject({ a: z.string() })));
    assert.deepEqual(
      result.map((narrowing) => narrowing.path),
      ['b'],
    );
    assert.match(result[0]?.fix ?? '', /z\.object/);
    const required = compareArgsSchemas(json(base), json(base.extend({ priority: z.number() })));
    assert.match(required[0]?.fix ?? '', /\.optional\(\) or with a \.default\(\.\.\.\)/);
    const removed = compareArgsSchemas(json(base), json(base.extend({ action: z.enum(['process']) })));
    assert.match(removed[0]?.fix ?? '', /keep the value in the enum/);
  });

  it('follows recursive schemas', () => {
    interface Node {
      name: string;
      children?: Node[] | undefined;
    }
    const tree: z.ZodType<Node> = z.object({
      name: z.string(),
      get children() {
        return z.array(tree).optional();
      },
    });
    interface Strict {
      name: string;
      size: number;
      children?: Strict[] | undefined;
    }
    const strict: z.ZodType<Strict> = z.object({
      name: z.string(),
      size: z.number(),
      get children() {
        return z.array(strict).optional();
      },
    });
    assert.deepEqual(narrowings(z.object({ root: tree }), z.object({ root: tree })), []);
    assert.deepEqual(narrowings(z.object({ root: tree }), z.object({ root: strict })), [
      'root.size: is new and required',
    ]);
  });

  const additive: Array<[string, z.ZodType]> = [
    ['nothing changed', base],
    ['a new optional field', base.extend({ priority: z.number().optional() })],
    ['a new field with a default', base.extend({ priority: z.number().default(0) })],
    ['a new enum value', base.extend({ action: z.enum(['process', 'retry', 'cleanup', 'archive']) })],
    ['integer widened to number', base.extend({ id: z.number() })],
    ['a field made nullable', base.extend({ note: z.string().nullable().optional() })],
    ['a field made optional', base.extend({ id: z.number().int().optional() })],
    ['a required field given a default', base.extend({ id: z.number().int().default(0) })],
    ['a field removed from z.object', base.omit({ note: true })],
    ['a looser bound', base.extend({ tags: z.array(z.string()) })],
    ['a union branch added', base.extend({ id: z.union([z.number().int(), z.string()]) })],
    ['a description added', base.extend({ note: z.string().optional().describe('what it is about') })],
    [
      'a new optional field inside an array of objects',
      base.extend({ lines: z.array(line.extend({ w: z.string().optional() })) }),
    ],
    ['z.object made loose', z.looseObject(base.shape)],
  ];
  for (const [what, after] of additive) {
    it(`says nothing about ${what}`, () => {
      assert.deepEqual(narrowings(base, after), []);
    });
  }
});

describe('arq-gen generate and schema evolution', () => {
  function project(): Scratch {
    const scratch = createScratch({
      'jobs.schema.ts': schemaFile(`{
  queue: 'q',
  jobs: {
    processData: {
      args: z.object({ dataId: z.number().int(), action: z.enum(['process', 'retry', 'cleanup']) }),
    },
    archive: { args: z.object({ id: z.string() }) },
  },
}`),
    });
    scratches.push(scratch);
    return scratch;
  }

  it('warns on stderr, per job and field with the fix, about a breaking change; exits 0; --check stays quiet', async () => {
    const scratch = project();
    const first = await runGenerate(scratch.options());
    assert.equal(first.exitCode, 0, first.errors.join('\n'));
    assert.deepEqual(first.warnings, [], 'nothing to compare with on the first run');

    scratch.write(
      'jobs.schema.ts',
      schemaFile(`{
  queue: 'q',
  jobs: {
    processData: {
      args: z.object({ dataId: z.number().int(), action: z.enum(['process', 'retry']), priority: z.number() }),
    },
  },
}`),
    );
    const check = await runGenerate(scratch.options({ check: true }));
    assert.equal(check.exitCode, 1, 'stale');
    assert.deepEqual(check.warnings, [], '--check only compares bytes');

    const second = await runGenerate(scratch.options());
    assert.equal(second.exitCode, 0, second.errors.join('\n'));
    assert.deepEqual(second.errors, []);
    assert.equal(second.warnings.length, 3, second.warnings.join('\n'));
    assert.match(
      second.warnings[0] ?? '',
      /^jobs\.schema\.ts: warning: job "archive": was removed, but jobs already queued for it \(queue "q"\) will be dead-lettered as UnknownJob/,
    );
    assert.match(
      second.warnings[1] ?? '',
      /^jobs\.schema\.ts:8:5: warning: job "processData": args field "priority" is new and required: .*; add it with \.optional\(\) or with a \.default\(\.\.\.\) instead$/,
    );
    assert.match(
      second.warnings[2] ?? '',
      /^jobs\.schema\.ts:8:5: warning: job "processData": args field "action" no longer accepts "cleanup" \(removed from the enum\): jobs already queued \(and producers not yet updated\) will be dead-lettered as INVALID_JOB_ARGS; keep the value in the enum/,
    );

    // Once generated, the new schema is the baseline: running again says nothing.
    assert.deepEqual((await runGenerate(scratch.options())).warnings, []);
    assert.deepEqual((await runGenerate(scratch.options({ check: true }))).warnings, []);
  });

  it('says nothing about an additive change: an optional field, a field with a default, a new enum value', async () => {
    const scratch = project();
    assert.equal((await runGenerate(scratch.options())).exitCode, 0);
    scratch.write(
      'jobs.schema.ts',
      schemaFile(`{
  queue: 'q',
  jobs: {
    processData: {
      args: z.object({
        dataId: z.number().int(),
        action: z.enum(['process', 'retry', 'cleanup', 'archive']),
        note: z.string().optional(),
        priority: z.number().default(0),
      }),
    },
    archive: { args: z.object({ id: z.string(), reason: z.string().optional() }) },
  },
}`),
    );
    const report = await runGenerate(scratch.options());
    assert.equal(report.exitCode, 0, report.errors.join('\n'));
    assert.deepEqual(report.warnings, []);
  });

  it('warns about a job that moves to another queue', async () => {
    const scratch = project();
    assert.equal((await runGenerate(scratch.options())).exitCode, 0);
    scratch.write(
      'jobs.schema.ts',
      schemaFile(`{
  queue: 'q',
  jobs: {
    processData: {
      args: z.object({ dataId: z.number().int(), action: z.enum(['process', 'retry', 'cleanup']) }),
      queue: 'elsewhere',
    },
    archive: { args: z.object({ id: z.string() }) },
  },
}`),
    );
    const report = await runGenerate(scratch.options());
    assert.equal(report.exitCode, 0);
    assert.equal(report.warnings.length, 1, report.warnings.join('\n'));
    assert.match(report.warnings[0] ?? '', /job "processData": moved from queue "q" to "elsewhere"/);
  });

  it('warns about a refinement JSON Schema cannot express, in generate and in --check, without failing', async () => {
    const scratch = createScratch({
      'jobs.schema.ts': schemaFile(`{
  jobs: {
    even: { args: z.object({ n: z.number().refine((n) => n % 2 === 0, 'must be even') }) },
  },
}`),
    });
    scratches.push(scratch);
    const report = await runGenerate(scratch.options());
    assert.equal(report.exitCode, 0);
    assert.equal(report.warnings.length, 1);
    assert.match(
      report.warnings[0] ?? '',
      /^jobs\.schema\.ts:7:5: warning: job "even": args field "n": a refinement .* cannot be expressed in JSON Schema/,
    );
    const check = await runGenerate(scratch.options({ check: true }));
    assert.equal(check.exitCode, 0);
    assert.deepEqual(check.warnings, report.warnings);
  });
});
