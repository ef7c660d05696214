// Every TypeScript block of README.md, README.zh-CN.md and docs/*.md compiles, or says it is partial
// (`<!-- snippet: partial -->` on the line before it). Each Markdown file becomes a scratch project
// under .tmp/: a block whose first line is `// <path>` is that file of the project (so a README's
// jobs.schema.ts, handlers and worker fit together, with `arq-gen generate` run over its schema), and
// any other block is a file of its own; a page without a schema block gets this repository's demo
// schema. Then `tsc --noEmit` checks the whole project.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { runGenerate } from '../../generator/generate.js';
import { typeScriptBlocks } from '../helpers/markdown.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const scratchRoot = join(root, '.tmp', `doc-snippets-${process.pid}`);
const markdownFiles = [
  'README.md',
  'README.zh-CN.md',
  ...readdirSync(join(root, 'docs')).map((f) => `docs/${f}`),
].filter((file) => file.endsWith('.md'));

after(() => rmSync(scratchRoot, { recursive: true, force: true }));

function tsc(project: string): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', project], {
    encoding: 'utf8',
  });
  return { status: result.status, output: result.stdout + result.stderr };
}

describe('documentation snippets compile', () => {
  for (const markdown of markdownFiles) {
    const blocks = typeScriptBlocks(readFileSync(join(root, markdown), 'utf8'));
    if (blocks.length === 0) continue;
    it(markdown, async () => {
      const project = join(scratchRoot, markdown.replace(/[/.]/g, '_'));
      mkdirSync(project, { recursive: true });
      const where = new Map<string, number>();
      const write = (path: string, code: string): void => {
        mkdirSync(dirname(join(project, path)), { recursive: true });
        writeFileSync(join(project, path), code);
      };
      const named = blocks.filter((block) => block.path);
      for (const block of named) {
        write(block.path!, block.code);
        where.set(block.path!, block.line);
      }
      // Without a schema of its own, a page's snippets talk about this repository's demo jobs.
      if (!existsSync(join(project, 'jobs.schema.ts')))
        write('jobs.schema.ts', readFileSync(join(root, 'jobs.schema.ts'), 'utf8'));
      {
        const report = await runGenerate({
          cwd: project,
          schema: 'jobs.schema.ts',
          out: 'generated',
          handlers: 'handlers',
          check: false,
        });
        assert.equal(report.exitCode, 0, report.errors.join('\n'));
        for (const block of named) write(block.path!, block.code); // the README's handlers replace the stubs
      }
      blocks
        .filter((block) => !block.path)
        .forEach((block, index) => {
          const path = `snippet-${index + 1}.ts`;
          // A file of its own: top-level await and names local to it.
          write(path, `${block.code}export {};\n`);
          where.set(path, block.line);
        });
      const relativeRoot = relative(project, root);
      write(
        'tsconfig.json',
        JSON.stringify({
          extends: join(relativeRoot, 'tsconfig.json'),
          compilerOptions: {
            noEmit: true,
            paths: {
              'rabbitmq-arq': [join(relativeRoot, 'runtime/index.ts')],
              'rabbitmq-arq/testing': [join(relativeRoot, 'runtime/testing.ts')],
            },
          },
          include: ['**/*.ts'],
        }),
      );
      const { status, output } = tsc(project);
      const located = output.replace(
        /^(\S+?\.ts)\((\d+),(\d+)\)/gm,
        (_, shown: string, line: string, column: string) => {
          const file = relative(project, join(root, shown));
          const start = where.get(file);
          return start === undefined
            ? `${file}(${line},${column})`
            : `${markdown}:${start + Number(line)}:${column} (${file})`;
        },
      );
      assert.equal(status, 0, located);
    });
  }
});
