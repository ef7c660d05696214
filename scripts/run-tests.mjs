// Runs the test files below the given folders (default: all of test/) with node's test runner and tsx.
// Node 20's runner does not discover .ts files itself, so the list is built here. In CI, or whenever
// the output is not a terminal, scripts/file-reporter.mjs prints one line per file, failures in full
// and node's closing `# tests` / `# pass` / `# fail` lines; a terminal gets node's spec reporter.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const roots = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const passThrough = process.argv.slice(2).filter((arg) => arg.startsWith('--'));

function findTests(path) {
  if (statSync(path).isFile()) return path.endsWith('.test.ts') ? [path] : [];
  return readdirSync(path)
    .filter((name) => name !== 'node_modules' && name !== 'fixtures')
    .flatMap((name) => findTests(join(path, name)));
}

const files = (roots.length > 0 ? roots : ['test']).flatMap(findTests).sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const inCI = process.env.CI === 'true' || process.env.CI === '1';
const chosen = passThrough.some((arg) => arg.startsWith('--test-reporter'));
const reporter =
  !chosen && (inCI || !process.stdout.isTTY)
    ? [
        `--test-reporter=${fileURLToPath(new URL('./file-reporter.mjs', import.meta.url))}`,
        '--test-reporter-destination=stdout',
      ]
    : [];
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=3', '--test-timeout=300000', ...reporter, ...passThrough, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
