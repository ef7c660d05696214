/**
 * How long `arq-gen generate` takes: for the demo's jobs.schema.ts and for a synthetic 200-job
 * schema. Prints the wall time of the whole command (process start, tsx, loading the schema,
 * rendering, writing) and of the in-process pipeline alone, median of several runs.
 *
 *   npx tsx bench/generate.ts [runs]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runGenerate } from '../generator/generate.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const runs = Number(process.argv[2] ?? 5);
const scratch = join(root, '.tmp', `bench-generate-${process.pid}`);

/** A schema with `count` jobs, each with a realistic mix of fields. */
function syntheticSchema(count: number): string {
  const jobs = Array.from({ length: count }, (_, i) =>
    [
      `    job${String(i).padStart(3, '0')}: {`,
      `      description: 'Synthetic job ${i}.',`,
      `      args: z.object({ id: z.number().int(), name: z.string(), at: isoDate.optional(), tags: z.array(z.string()).default([]),`,
      `        owner: z.object({ email: z.email().nullable(), kind: z.enum(['a', 'b', 'c']) }) }),`,
      i % 2 === 0 ? `      result: z.object({ ok: z.boolean(), count: z.number().int() }),` : '',
      i % 5 === 0 ? `      queue: 'bench-${i % 3}',` : '',
      `    },`,
    ]
      .filter(Boolean)
      .join('\n'),
  );
  return `import { z } from 'zod';\nimport { defineJobs, isoDate } from 'rabbitmq-arq';\n\nexport default defineJobs({\n  queue: 'bench',\n  jobs: {\n${jobs.join('\n')}\n  },\n});\n`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function measure(label: string, schema: string): Promise<void> {
  const out = join(scratch, label, 'generated');
  const handlers = join(scratch, label, 'handlers');
  const command: number[] = [];
  const pipeline: number[] = [];
  for (let run = 0; run < runs; run++) {
    rmSync(join(scratch, label), { recursive: true, force: true });
    let start = performance.now();
    execFileSync(
      process.execPath,
      ['--import', 'tsx', 'generator/main.ts', 'generate', '--schema', schema, '--out', out, '--handlers', handlers],
      {
        cwd: root,
        stdio: 'ignore',
      },
    );
    command.push(performance.now() - start);
    rmSync(join(scratch, label), { recursive: true, force: true });
    start = performance.now();
    const report = await runGenerate({ schema, out, handlers, check: false, cwd: root });
    pipeline.push(performance.now() - start);
    if (report.exitCode !== 0) throw new Error(report.errors.join('\n'));
  }
  console.log(
    `${label.padEnd(10)} command ${median(command).toFixed(0).padStart(5)} ms   in-process ${median(pipeline).toFixed(0).padStart(5)} ms   (median of ${runs})`,
  );
}

mkdirSync(scratch, { recursive: true });
try {
  writeFileSync(join(scratch, 'jobs200.schema.ts'), syntheticSchema(200));
  console.log(`node ${process.version}, ${runs} runs each`);
  await measure('demo', 'jobs.schema.ts');
  await measure('200 jobs', join(scratch, 'jobs200.schema.ts'));
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
