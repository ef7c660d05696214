// --watch regenerates when the schema or a file it imports changes, and outlives schema errors.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { watchGenerate } from '../../generator/generate.js';
import { createScratch, schemaFile } from './scratch.js';

const scratch = createScratch({
  'jobs.schema.ts': schemaFile("{ queue: 'one', jobs: { ping: { args: z.object({}) }, ...more } }").replace(
    'void isoDate;',
    "void isoDate;\nimport { more } from './more.js';",
  ),
  'more.ts': "import { z } from 'zod';\nexport const more = { extra: { args: z.object({ a: z.string() }) } };\n",
});
after(() => scratch.remove());

async function until(what: string, condition: () => boolean, timeout = 15_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

it('regenerates on change of the schema and of a file it imports, and survives errors', async () => {
  const out: string[] = [];
  const err: string[] = [];
  const stop = new AbortController();
  const session = watchGenerate(
    scratch.options(),
    { out: (line) => out.push(line), err: (line) => err.push(line) },
    stop.signal,
  );
  const worker = (): string => readFileSync(join(scratch.folder, 'generated/worker.ts'), 'utf8');
  // Queues are read from the schema at run time; the manifest records them.
  const manifest = (): string => readFileSync(join(scratch.folder, 'generated/manifest.json'), 'utf8');
  try {
    await until('the first run', () => out.some((line) => line.startsWith('watching ')));
    assert.ok(
      out.some((line) => line.includes('jobs.schema.ts, more.ts')),
      out.join('\n'),
    );
    assert.match(manifest(), /"queue": "one"/);

    scratch.write(
      'jobs.schema.ts',
      readFileSync(join(scratch.folder, 'jobs.schema.ts'), 'utf8').replace("queue: 'one'", "queue: 'two'"),
    );
    await until('the schema change', () => manifest().includes('"queue": "two"'));

    scratch.write('more.ts', "import { z } from 'zod';\nexport const more = { extra2: { args: z.object({}) } };\n");
    await until('the imported file change', () => worker().includes('extra2:'));

    // A broken imported file is reported, and fixing it regenerates.
    let errorsBefore = err.length;
    scratch.write('more.ts', 'export const more = {,};\n');
    await until('the imported syntax error', () =>
      err.slice(errorsBefore).some((line) => /more\.ts:1:\d+: syntax error/.test(line)),
    );
    scratch.write('more.ts', "import { z } from 'zod';\nexport const more = { extra3: { args: z.object({}) } };\n");
    await until('the imported file fix', () => worker().includes('extra3:'));

    errorsBefore = err.length;
    scratch.write('jobs.schema.ts', 'export default {,};\n');
    await until('the syntax error report', () =>
      err.slice(errorsBefore).some((line) => /jobs\.schema\.ts:1:\d+: syntax error/.test(line)),
    );

    scratch.write('jobs.schema.ts', schemaFile("{ queue: 'three', jobs: { ping: { args: z.object({}) } } }"));
    await until('recovery after the error', () => manifest().includes('"queue": "three"'));
  } finally {
    stop.abort();
    await session;
  }
});
