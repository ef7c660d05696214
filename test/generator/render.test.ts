// The pure parts of the generator: JSON Schema conversion, schema hashes, the boundary of what
// generated code imports, and the syntax check that blames a job's line.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { findRenderedSyntaxErrors } from '../../generator/check-syntax.js';
import { convertJsonSchema } from '../../generator/convert-json-schema.js';
import { renderSchema } from '../../generator/generate.js';
import type { SchemaModel } from '../../generator/model.js';
import { renderFiles } from '../../generator/render-files.js';
import { isoDate } from '../../runtime/index.js';
import { listFixtures } from './fixtures.js';

describe('convertJsonSchema', () => {
  it('writes isoDate as an ISO date-time string and keeps defaults optional on the input side', () => {
    const args = z.object({ at: isoDate, when: isoDate.optional(), count: z.number().int().default(1) });
    const { jsonSchema, unsupported } = convertJsonSchema(args, 'input', isoDate);
    assert.deepEqual(unsupported, []);
    const properties = jsonSchema.properties as Record<string, unknown>;
    // Zod's own pattern for z.iso.datetime({ offset: true }): the JSON Schema is exactly as strict as the codec.
    const wire = { type: 'string', format: 'date-time', pattern: z.iso.datetime({ offset: true })._zod.pattern.source };
    assert.deepEqual(properties.at, wire);
    assert.deepEqual(properties.when, wire);
    assert.deepEqual(jsonSchema.required, ['at']);
    assert.equal(jsonSchema.$schema, 'http://json-schema.org/draft-07/schema#');
  });

  it('writes isoDate in results too, where its output side is a Date', () => {
    const { jsonSchema, unsupported } = convertJsonSchema(z.object({ done: isoDate }), 'output', isoDate);
    assert.deepEqual(unsupported, []);
    assert.deepEqual((jsonSchema.properties as Record<string, unknown>).done, {
      type: 'string',
      format: 'date-time',
      pattern: z.iso.datetime({ offset: true })._zod.pattern.source,
    });
  });

  it('names every field that cannot travel as JSON, through wrappers, arrays, records, unions and pipes', () => {
    const args = z.object({
      a: z.date(),
      b: z.array(z.object({ c: z.date().nullable() })),
      d: z.record(z.string(), z.bigint()),
      e: z.union([z.string(), z.map(z.string(), z.string())]),
      f: z.date().transform((date) => date.getTime()),
      g: z.tuple([z.string(), z.symbol()]),
    });
    const { unsupported } = convertJsonSchema(args, 'input', isoDate);
    assert.deepEqual(
      unsupported.map((field) => field.path),
      ['a', 'b[].c', 'd[*]', 'e', 'f', 'f', 'g[1]'],
    );
    assert.match(unsupported[0]?.message ?? '', /use isoDate from 'rabbitmq-arq'/);
    assert.match(unsupported[5]?.message ?? '', /a transform .* cannot travel as JSON: the client encodes arguments/);
  });

  it('names transforms, preprocessing, functions, undefined and bigint literals, on both sides', () => {
    const args = z.object({
      trimmed: z.string().transform((text) => text.trim()),
      parsed: z.preprocess((value) => Number(value), z.number()),
      callback: z.function(),
      nothing: z.undefined(),
      big: z.literal(10n),
      nested: z.array(z.object({ n: z.string().transform((text) => text.length) })),
      fine: z.codec(z.string(), z.number(), { decode: Number, encode: String }),
      trimmedInPlace: z.string().trim(),
    });
    const { unsupported, lossy } = convertJsonSchema(args, 'input', isoDate);
    assert.deepEqual(
      unsupported.map((field) => field.path),
      ['trimmed', 'parsed', 'callback', 'nothing', 'big', 'nested[].n'],
    );
    assert.match(unsupported[0]?.message ?? '', /z\.codec\(\) with both decode and encode/);
    assert.match(unsupported[2]?.message ?? '', /a function cannot travel as JSON/);
    assert.match(unsupported[3]?.message ?? '', /\.optional\(\)/);
    assert.deepEqual(lossy, []);
    const result = convertJsonSchema(z.object({ n: z.string().transform((text) => text.length) }), 'output', isoDate);
    assert.deepEqual(
      result.unsupported.map((field) => field.path),
      ['n'],
    );
  });

  it('reports refinements and custom types as lossy (a warning), not as errors', () => {
    const args = z
      .object({
        even: z.number().refine((n) => n % 2 === 0),
        checked: z.string().superRefine(() => undefined),
        buffer: z.instanceof(Uint8Array),
        plain: z.string().min(1).regex(/^a/),
      })
      .refine((value) => value.even > 0);
    const { unsupported, lossy } = convertJsonSchema(args, 'input', isoDate);
    assert.deepEqual(unsupported, []);
    assert.deepEqual(
      lossy.map((field) => field.path),
      ['(the whole value)', 'even', 'checked', 'buffer'],
    );
    assert.match(lossy[1]?.message ?? '', /dead-lettered as INVALID_JOB_ARGS/);
    assert.match(lossy[3]?.message ?? '', /z\.custom\(\) and z\.instanceof\(\) have no JSON Schema/);
  });

  it('survives recursive schemas', () => {
    interface Node {
      children: Node[];
    }
    const node: z.ZodType<Node> = z.object({
      get children() {
        return z.array(node);
      },
    });
    assert.deepEqual(convertJsonSchema(z.object({ root: node }), 'input', isoDate).unsupported, []);
  });
});

describe('rendering', () => {
  it('gives each job an args hash that moves when its input schema does', async () => {
    const [fixture] = listFixtures().filter((candidate) => candidate.name === 'minimal');
    assert.ok(fixture);
    const { model } = await renderSchema(fixture.options);
    const hash = (schema: z.ZodObject): string => {
      const { jsonSchema } = convertJsonSchema(schema, 'input', isoDate);
      return JSON.stringify(jsonSchema);
    };
    assert.notEqual(hash(z.object({ a: z.string() })), hash(z.object({ a: z.string(), b: z.string() })));
    assert.equal(hash(z.object({ a: z.string() })), hash(z.object({ a: z.string() })));
    assert.match(model.jobs[0]?.argsSchemaHash ?? '', /^[0-9a-f]{64}$/);
  });

  it('makes generated code import only rabbitmq-arq, the schema file and its siblings', async () => {
    for (const fixture of listFixtures()) {
      const { model, rendered } = await renderSchema(fixture.options);
      for (const [path, content] of rendered.generated) {
        if (!path.endsWith('.ts')) continue;
        const specifiers = [...content.matchAll(/\bfrom '([^']+)'/g)].map((match) => match[1]);
        for (const specifier of specifiers) {
          assert.ok(
            specifier === 'rabbitmq-arq' ||
              specifier === model.schemaImportFromOut ||
              /^\.\/[\w-]+\.js$/.test(specifier ?? ''),
            `${fixture.name}/${path} imports ${specifier}`,
          );
        }
      }
    }
  });

  it('blames a syntax error in rendered code on the job whose value causes it, at its line in the schema', async () => {
    const [fixture] = listFixtures().filter((candidate) => candidate.name === 'edge-cases');
    assert.ok(fixture);
    const { model, rendered } = await renderSchema(fixture.options);
    const folders = { out: 'generated', handlers: 'handlers' };
    assert.deepEqual(findRenderedSyntaxErrors(rendered, model, folders), []);

    // A value that slips past the model's checks and breaks a template, for one job only.
    const broken: SchemaModel = {
      ...model,
      jobs: model.jobs.map((job) => (job.name === 'delete' ? { ...job, typeName: 'Bad Name' } : job)),
    };
    const diagnostics = findRenderedSyntaxErrors(renderFiles(broken, 'handlers'), broken, folders);
    const deleteJob = model.jobs.find((job) => job.name === 'delete');
    assert.ok(diagnostics.length > 0);
    for (const diagnostic of diagnostics) {
      assert.equal(diagnostic.job, 'delete');
      assert.deepEqual(diagnostic.location, deleteJob?.location);
    }
    assert.match(diagnostics[0]?.message ?? '', /^generated generated\/(index|types)\.ts:\d+:\d+ does not parse: /);
    assert.match(deleteJob?.location.file ?? '', /jobs\.schema\.ts$/);
    assert.equal(typeof deleteJob?.location.line, 'number');
  });
});
