// scripts/file-reporter.mjs, the reporter CI's test output goes through: one line per file, a failure
// in full (its test path, the assertion with its diff, what the file printed), a file that throws at
// load time, and node's closing summary lines, `# pass N` and `# fail N` among them, exactly as node's
// own reporters print them.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';

const reporter = fileURLToPath(new URL('../../scripts/file-reporter.mjs', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'arq-file-reporter-'));
after(() => rmSync(folder, { recursive: true, force: true }));

const files = {
  'a-passes.test.mjs': `import { it } from 'node:test';
for (let n = 0; n < 12; n += 1) it('case ' + n, () => {});
it('skipped', { skip: true }, () => {});
`,
  'b-fails.test.mjs': `import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
describe('outer', () => {
  it('passes', () => {});
  it('fails', () => {
    console.log('printed by the failing file');
    assert.equal(1 + 1, 3, 'arithmetic is broken');
  });
});
`,
  'c-throws.test.mjs': `throw new Error('thrown while loading');
`,
};
for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text);

// Without this variable the child is a test run of its own, not a subprocess of this one.
const { NODE_TEST_CONTEXT: _inside, ...outsideThisTest } = process.env;

describe('file reporter', () => {
  it('prints a line per file, each failure in full, and node’s summary lines last', () => {
    const run = spawnSync(
      process.execPath,
      ['--test', `--test-reporter=${reporter}`, ...Object.keys(files).map((name) => join(folder, name))],
      { cwd: folder, encoding: 'utf8', timeout: 60_000, env: outsideThisTest },
    );
    assert.equal(run.status, 1, run.stderr);
    const lines = run.stdout.split('\n');
    const fileLines = lines.filter((line) => /^[✔✖] /.test(line));
    assert.deepEqual(
      fileLines.map((line) => line.replace(/, \d+ ms\)$/, ')')),
      [
        '✔ a-passes.test.mjs (13 tests, 1 skipped)',
        '✖ b-fails.test.mjs (2 tests, 1 failed)',
        '✖ c-throws.test.mjs (0 tests)',
      ],
    );
    assert.ok(lines.includes('  ✖ outer › fails'), run.stdout);
    assert.match(run.stdout, /AssertionError \[ERR_ASSERTION\]: arithmetic is broken\n\s*\n\s*2 !== 3/);
    assert.match(run.stdout, /printed by the failing file/);
    assert.match(run.stdout, / {2}✖ the file itself failed\n/);
    assert.match(run.stdout, /Error: thrown while loading/);
    assert.doesNotMatch(run.stdout, /case 3/, 'a passing test has no line of its own');
    const summary = lines.filter((line) => line.startsWith('# '));
    assert.deepEqual(
      summary.map((line) => line.replace(/ [\d.]+$/, ' N')),
      [
        '# tests N',
        '# suites N',
        '# pass N',
        '# fail N',
        '# cancelled N',
        '# skipped N',
        '# todo N',
        '# duration_ms N',
      ],
    );
    assert.ok(
      summary.includes('# pass 13') && summary.includes('# fail 2') && summary.includes('# skipped 1'),
      summary.join('\n'),
    );
    assert.equal(lines.at(-2), summary.at(-1), 'the summary closes the output');
  });
});
