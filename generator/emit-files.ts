import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { compareWithDisk, listFiles } from './check-files.js';
import { RefusedError, compareStrings } from './model.js';
import type { RenderedFiles } from './model.js';
import { manifestFile } from './render-files.js';

/** What emitting changed on disk, by path relative to the folder it belongs to. */
export interface EmitResult {
  /** Output files written because they were missing or different. */
  written: string[];
  /** Output files removed because nothing renders them any more. */
  deleted: string[];
  /** Handler files created because they were absent. */
  scaffolded: string[];
  /** Whether the handlers' `index.ts` was already there (then new jobs must be added to it by hand). */
  handlersIndexExisted: boolean;
  /** `.ts` files of the handlers folder that match no job (a removed job's handler, say); never deleted. */
  orphanHandlers: string[];
}

/**
 * Writes the rendered output folder and scaffolds missing handler files. The output folder is the
 * generator's: files it no longer renders are removed, and a folder that holds anything but a
 * manifest of ours is refused (RefusedError), so a mistyped `--out` cannot clear a user's folder.
 * Handler files are the user's: created when absent, never overwritten, never deleted.
 */
export function emitFiles(
  rendered: RenderedFiles,
  folders: { out: string; handlers: string; outShown: string },
  jobNames: readonly string[],
): EmitResult {
  assertOwnedOrEmpty(folders.out, folders.outShown);
  const comparison = compareWithDisk(rendered.generated, folders.out);
  const written = [...comparison.missing, ...comparison.stale].sort(compareStrings);
  try {
    for (const path of written) writeAtomically(join(folders.out, path), rendered.generated.get(path) as string);
    for (const path of comparison.extra) unlinkSync(join(folders.out, path));
    removeEmptyFolders(folders.out, comparison.extra);

    const handlersIndexExisted = existsSync(join(folders.handlers, 'index.ts'));
    const scaffolded: string[] = [];
    mkdirSync(folders.handlers, { recursive: true });
    for (const [path, content] of rendered.scaffold) {
      try {
        // 'wx' fails when the file exists: a user's handler is never overwritten, even in a race.
        writeFileSync(join(folders.handlers, path), content, { flag: 'wx' });
        scaffolded.push(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    const jobs = new Set(jobNames);
    const orphanHandlers = [...listFiles(folders.handlers)]
      .filter((path) => /^[^/]+\.ts$/.test(path) && !/\.(d|test|spec)\.ts$/.test(path) && path !== 'index.ts')
      .filter((path) => !jobs.has(path.slice(0, -'.ts'.length)))
      .sort(compareStrings);
    return { written, deleted: comparison.extra, scaffolded, handlersIndexExisted, orphanHandlers };
  } catch (err) {
    if (err instanceof RefusedError) throw err;
    throw new RefusedError(`cannot write the generated files: ${(err as Error).message}`, { cause: err });
  }
}

/** Throws RefusedError unless `folder` is absent, empty (dot-files aside) or holds our manifest. */
export function assertOwnedOrEmpty(folder: string, shown: string): void {
  if (!existsSync(folder)) return;
  if (!statSync(folder).isDirectory())
    throw new RefusedError(`refusing to write into ${shown}: it is a file, not a folder`);
  if (isOurs(folder)) return;
  const entries = readdirSync(folder).filter((name) => !name.startsWith('.'));
  if (entries.length === 0) return;
  throw new RefusedError(
    `refusing to write into ${shown}/: it is not empty and has no manifest.json written by arq-gen, so it was not generated; pass an empty or new folder with --out`,
  );
}

function isOurs(folder: string): boolean {
  try {
    const manifest = JSON.parse(readFileSync(join(folder, manifestFile), 'utf8')) as { generator?: { name?: unknown } };
    return manifest.generator?.name === 'arq-gen';
  } catch {
    return false;
  }
}

/** Write to a sibling temporary file, then rename: a reader never sees half a file. */
function writeAtomically(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}

function removeEmptyFolders(root: string, deleted: readonly string[]): void {
  const folders = new Set<string>();
  for (const path of deleted) {
    for (let folder = dirname(path); folder !== '.' && folder !== ''; folder = dirname(folder)) folders.add(folder);
  }
  // Deepest first, so a parent is empty by the time it is tried.
  for (const folder of [...folders].sort((a, b) => b.length - a.length)) {
    try {
      rmdirSync(join(root, folder));
    } catch {
      // Not empty (a dot-file or a user's file): leave it.
    }
  }
}
