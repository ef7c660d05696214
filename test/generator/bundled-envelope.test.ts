// envelope.bundled.json in the validators of other languages, used the plain way: Python's
// `jsonschema.Draft7Validator(schema).validate(body)` with no reference store, and Go's gojsonschema
// through examples/go/validate (Debian's packages, GOPATH mode). Each gets valid bodies and bodies
// with one wrong field, on the demo's schema and on the edge-cases fixture, whose recursive type
// sits under a rewritten `#/definitions/<job>.args/definitions/...` reference.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { encodeJobBody } from '../../runtime/wire-format.js';
import {
  assertPresent,
  goWithJsonSchema,
  pythonWithPikaAndJsonschema,
  skipUnlessPresent,
} from '../helpers/external-tools.js';
import { fixturesFolder, repoRoot } from './fixtures.js';

const scratch = mkdtempSync(join(tmpdir(), 'arq-bundled-envelope-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const demoSchema = join(repoRoot, 'generated/schemas/envelope.bundled.json');
const edgeCasesSchema = join(fixturesFolder, 'edge-cases/expected/generated/schemas/envelope.bundled.json');

/** A body as the TypeScript client encodes it. */
function body(functionName: string, kwargs: Record<string, unknown>, queueName = 'default'): string {
  return encodeJobBody({
    jobId: 'b3a9e0c4d5f61728394a5b6c7d8e9f01',
    functionName,
    args: [],
    kwargs,
    jobTry: 1,
    enqueueTime: new Date('2025-01-10T10:30:45.123Z'),
    queueName,
    deferUntil: null,
    expires: null,
  }).toString('utf8');
}

interface Case {
  what: string;
  schema: string;
  body: string;
  /** The path of the field the validator must name, or undefined for a valid body. */
  wrong?: string[];
}

const catalog = (categories: unknown): Record<string, unknown> => ({
  source: { bucket: 'b', key: 'k' },
  owner: { name: 'Ada', email: null },
  items: [{ sku: 'a-1', price: 3, addedAt: '2025-01-10T10:30:45Z' }],
  prices: { 'a-1': 3 },
  categories,
});

const cases: Case[] = [
  {
    what: 'a processData job',
    schema: demoSchema,
    body: body('processData', { dataId: 42, action: 'process', payload: 'x', notBefore: '2025-01-10T10:30:45+00:00' }),
  },
  {
    what: 'processData with a string dataId',
    schema: demoSchema,
    body: body('processData', { dataId: 'forty-two', action: 'process', payload: 'x' }),
    wrong: ['kwargs', 'dataId'],
  },
  {
    what: 'a time without an offset',
    schema: demoSchema,
    body: body('processData', { dataId: 42, action: 'process', payload: 'x' }).replace(
      '"2025-01-10T10:30:45.123Z"',
      '"2025-01-10T10:30:45"',
    ),
    wrong: ['enqueue_time'],
  },
  {
    what: 'an importCatalog job with nested categories',
    schema: edgeCasesSchema,
    body: body('importCatalog', catalog([{ name: 'a', children: [{ name: 'b', children: [] }] }]), 'catalog-imports'),
  },
  {
    what: 'a category two levels down with a number for a name',
    schema: edgeCasesSchema,
    body: body('importCatalog', catalog([{ name: 'a', children: [{ name: 5 }] }]), 'catalog-imports'),
    wrong: ['kwargs', 'categories', '0', 'children', '0', 'name'],
  },
];

interface Finished {
  status: number | null;
  output: string;
}

function exec(
  file: string,
  args: string[],
  input: string,
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Finished {
  const result = spawnSync(file, args, {
    input,
    cwd: options.cwd ?? repoRoot,
    encoding: 'utf8',
    env: { ...process.env, ...options.env },
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  return { status: result.status, output: result.stdout + result.stderr };
}

/** What each case must give: `valid`, or exit 2 with the wrong field named as `<path joined by separator>: `. */
function assertVerdict(item: Case, finished: Finished, separator: string): void {
  if (item.wrong === undefined) {
    assert.equal(finished.status, 0, `${item.what}: ${finished.output}`);
    assert.equal(finished.output.trim(), 'valid', item.what);
  } else {
    assert.equal(finished.status, 2, `${item.what}: ${finished.output}`);
    assert.ok(
      finished.output.split('\n').some((line) => line.startsWith(`invalid: ${item.wrong?.join(separator)}: `)),
      `${item.what}: the validator did not name ${item.wrong.join(separator)}:\n${finished.output}`,
    );
  }
}

// The whole of the Python side: load the file, one call to validate.
const pythonValidate = `
import json, sys, jsonschema
schema = json.load(open(sys.argv[1], encoding="utf-8"))
try:
    jsonschema.Draft7Validator(schema).validate(json.loads(sys.stdin.read()))
except jsonschema.ValidationError as error:
    print("invalid: " + "/".join(str(part) for part in error.absolute_path) + ": " + error.message)
    sys.exit(2)
print("valid")
`;

describe('envelope.bundled.json in other languages', () => {
  it(
    "Python's plain jsonschema.Draft7Validator(schema).validate(body) needs no reference store",
    { skip: skipUnlessPresent(pythonWithPikaAndJsonschema) },
    () => {
      assertPresent(pythonWithPikaAndJsonschema);
      for (const item of cases) {
        assertVerdict(item, exec('/usr/bin/python3', ['-c', pythonValidate, item.schema], item.body), '/');
      }
    },
  );

  it(
    "Go's gojsonschema (examples/go/validate, Debian's package in GOPATH mode) loads the one file",
    { skip: skipUnlessPresent(goWithJsonSchema) },
    () => {
      assertPresent(goWithJsonSchema);
      const binary = join(scratch, 'validate');
      const built = exec('go', ['build', '-o', binary, './validate'], '', {
        cwd: join(repoRoot, 'examples/go'),
        env: {
          GO111MODULE: 'off',
          GOPATH: '/usr/share/gocode',
          GOFLAGS: '',
          GOCACHE: process.env.GOCACHE ?? join(scratch, 'gocache'),
        },
      });
      assert.equal(built.status, 0, built.output);
      for (const item of cases) assertVerdict(item, exec(binary, ['-schema', item.schema], item.body), '.');
    },
  );
});
