// Throw-away projects for generator tests. They live under the repo's .tmp/ (git-ignored) so that
// their schema files resolve 'zod' from node_modules and 'rabbitmq-arq' through tsconfig paths.
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { GenerateOptions } from '../../generator/model.js';
import { repoRoot } from './fixtures.js';

export interface Scratch {
  folder: string;
  /** Options for a run in this folder with the default paths. */
  options: (overrides?: Partial<GenerateOptions>) => GenerateOptions;
  write: (path: string, content: string) => void;
  remove: () => void;
}

export function createScratch(files: Record<string, string> = {}): Scratch {
  const folder = join(repoRoot, '.tmp', `arq-gen-test-${randomUUID().slice(0, 8)}`);
  mkdirSync(folder, { recursive: true });
  const write = (path: string, content: string): void => {
    mkdirSync(dirname(join(folder, path)), { recursive: true });
    writeFileSync(join(folder, path), content);
  };
  for (const [path, content] of Object.entries(files)) write(path, content);
  return {
    folder,
    options: (overrides = {}) => ({
      schema: 'jobs.schema.ts',
      out: 'generated',
      handlers: 'handlers',
      check: false,
      cwd: folder,
      ...overrides,
    }),
    write,
    remove: () => rmSync(folder, { recursive: true, force: true }),
  };
}

/** A schema file with the usual imports and the given `defineJobs` body. */
export function schemaFile(body: string): string {
  return `import { z } from 'zod';\nimport { defineJobs, isoDate } from 'rabbitmq-arq';\n\nvoid isoDate;\nexport default defineJobs(${body});\n`;
}
