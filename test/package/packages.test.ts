// The two packages as a user gets them: packed from this checkout, installed from the tarballs into
// fresh projects outside the repository (so no tsconfig path or workspace link can help), then used
// the way README.md's "Define your jobs" section says, with its own files and commands.
import * as assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { typeScriptBlocks } from '../helpers/markdown.js';
import { AMQP_URL, closeAdmin, deleteJobQueue, uniqueName, waitFor } from '../helpers/broker.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'arq-packages-'));
after(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await closeAdmin();
});

/** What a production install may weigh on disk besides zod itself (issue: ≤ 10 MB). */
const PRODUCTION_BUDGET_BYTES = 10 * 1024 * 1024;
/** Build tools that a producer or worker must never load. */
const BUILD_TOOLS = ['ts-morph', 'typescript', 'handlebars', 'esbuild', 'tsx', 'prom-client'];

let runtimeTarball = '';
let generatorTarball = '';

before(async () => {
  const { stdout } = await run(process.execPath, ['scripts/pack-packages.mjs', join(scratch, 'tarballs')], {
    cwd: repo,
  });
  [runtimeTarball = '', generatorTarball = ''] = stdout.trim().split('\n').slice(-2);
  assert.match(runtimeTarball, /rabbitmq-arq-[\d.]+\.tgz$/);
  assert.match(generatorTarball, /arq-gen-[\d.]+\.tgz$/);
});

function newProject(name: string): string {
  const folder = join(scratch, name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }, null, 2));
  return folder;
}

async function npm(cwd: string, args: string[]): Promise<void> {
  await run('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd });
}

function diskBytes(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, entry) => sum + diskBytes(join(path, entry)), 0);
}

/** The CommonJS modules (every build tool above is one) that `import(specifier)` loads in `cwd`. */
async function modulesLoadedBy(cwd: string, specifier: string): Promise<string[]> {
  const script = `import { createRequire } from 'node:module';
await import(${JSON.stringify(specifier)});
console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd });
  return JSON.parse(stdout) as string[];
}

function buildToolsIn(paths: string[]): string[] {
  return BUILD_TOOLS.filter((tool) => paths.some((path) => path.includes(`/node_modules/${tool}/`)));
}

describe('packages from the tarballs', () => {
  it('a production install is small and importing the runtime loads no build tool', async () => {
    const project = newProject('production');
    await npm(project, ['install', '--omit=dev', runtimeTarball, 'zod@^4.1.0']);
    const modules = join(project, 'node_modules');
    const besidesZod = diskBytes(modules) - diskBytes(join(modules, 'zod'));
    console.log(`production install: ${(besidesZod / 1024 / 1024).toFixed(1)} MiB besides zod`);
    assert.ok(besidesZod <= PRODUCTION_BUDGET_BYTES, `${besidesZod} bytes besides zod`);
    for (const absent of ['ts-morph', 'typescript', 'handlebars', 'tsx', 'esbuild'])
      assert.throws(() => statSync(join(modules, absent)), `${absent} is installed in production`);
    assert.deepEqual(buildToolsIn(await modulesLoadedBy(project, 'rabbitmq-arq')), []);

    // The operator CLI runs without tsx, and asks for it in one line when given a .ts module.
    const bin = join(modules, '.bin/rabbitmq-arq');
    assert.match((await run(bin, ['--version'], { cwd: project })).stdout, /^\d+\.\d+\.\d+/);
    writeFileSync(join(project, 'worker.ts'), 'export const workerSettings = { handlers: {} };\n');
    const refused = await run(bin, ['validate-config', '-m', './worker.ts:workerSettings'], { cwd: project }).then(
      () => assert.fail('a .ts module loaded without tsx'),
      (err: { code: number; stderr: string }) => err,
    );
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^rabbitmq-arq validate-config: .*worker\.ts is TypeScript: install tsx .*\n$/);
  });

  for (const typescript of ['~5.9.3', '^7.0.0']) {
    it(`README's quick start works as written, compiled with TypeScript ${typescript}`, async () => {
      const project = newProject(`quick-start-ts${typescript.replace(/\W/g, '')}`);
      await npm(project, ['install', runtimeTarball, 'zod@^4.1.0']);
      await npm(project, ['install', '-D', generatorTarball, `typescript@${typescript}`]);
      // With the generator installed too, the runtime still loads none of its tools.
      assert.deepEqual(buildToolsIn(await modulesLoadedBy(project, 'rabbitmq-arq')), []);

      const queue = uniqueName('packages');
      const files = quickStartFiles();
      for (const [path, code] of Object.entries(files)) {
        mkdirSync(dirname(join(project, path)), { recursive: true });
        writeFileSync(join(project, path), path === 'jobs.schema.ts' ? code.replace("'emails'", `'${queue}'`) : code);
      }
      assert.ok(files['tsconfig.json'], 'README gives the tsconfig.json');
      try {
        await run('npx', ['arq-gen', 'generate'], { cwd: project });
        // The handler stub is created once; README's filled-in handler replaces it, as a user would.
        writeFileSync(join(project, 'handlers/sendWelcomeEmail.ts'), files['handlers/sendWelcomeEmail.ts']!);
        await run('npx', ['tsc', '-p', '.'], { cwd: project });
        // README's first example (the runtime API without the generator) compiles with this TypeScript too.
        writeFileSync(join(project, 'runtime-api.ts'), runtimeApiExample());
        const check = { extends: './tsconfig.json', compilerOptions: { noEmit: true }, include: ['runtime-api.ts'] };
        writeFileSync(join(project, 'tsconfig.runtime-api.json'), JSON.stringify(check));
        await run('npx', ['tsc', '-p', 'tsconfig.runtime-api.json'], { cwd: project });

        const env = { ...process.env, AMQP_URL, LANG: 'C.UTF-8' };
        const producer = await run(process.execPath, ['dist/producer.js'], { cwd: project, env });
        assert.match(producer.stdout, /enqueued [0-9a-f]{32}/);

        // README's production form: the bin itself, so SIGTERM reaches the worker (npx would not pass it on).
        const started = Date.now();
        const worker = spawn(
          join(project, 'node_modules/.bin/rabbitmq-arq'),
          ['worker', '-m', './dist/worker.js:workerSettings'],
          { cwd: project, env },
        );
        let output = '';
        let startedAfter: number | undefined;
        const collect = (chunk: Buffer): void => {
          output += chunk.toString();
          if (startedAfter === undefined && /worker \S+ started/.test(output)) startedAfter = Date.now() - started;
        };
        worker.stdout.on('data', collect);
        worker.stderr.on('data', collect);
        const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve));
        assert.ok(await waitFor(() => /welcome mail to ada@example\.com/.test(output), 30_000), output);
        worker.kill('SIGTERM');
        assert.equal(await exited, 0, output);
        assert.match(output, /worker stopped: 1 complete/);
        console.log(
          `worker from built JavaScript consuming after ${startedAfter} ms (process start to worker.started)`,
        );
      } finally {
        await deleteJobQueue(queue);
      }
    });
  }
});

/** The files README.md's "Define your jobs" section writes, by path (its `// <path>` first lines). */
function quickStartFiles(): Record<string, string> {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Define your jobs'));
  const body = section.slice(0, section.indexOf('\n## ', 1));
  const files: Record<string, string> = {};
  for (const block of typeScriptBlocks(body)) if (block.path) files[block.path] = block.code;
  const tsconfig = /```jsonc\n\/\/ tsconfig\.json\n([\s\S]*?)```/.exec(body)?.[1];
  if (tsconfig !== undefined) files['tsconfig.json'] = tsconfig;
  return files;
}

/** The TypeScript block of README.md's "Quick start (runtime API)" section. */
function runtimeApiExample(): string {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start (runtime API)'));
  const [block] = typeScriptBlocks(section.slice(0, section.indexOf('\n## ', 1)));
  assert.ok(block, 'README has a runtime API quick start');
  return block.code;
}
