// The README's settings tables against the code: every setting the client and worker accept is in the
// "Settings and defaults" table, and the worker flags table of both READMEs is exactly the rows that
// workerOverrideTable gives, so a flag, variable or default changed in code cannot leave the docs behind.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { clientSettingsSchema, workerSettingsSchema } from '../../runtime/settings/settings.js';
import { workerOverrideSources } from '../../runtime/settings/worker-overrides.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** Names in backticks in the first cell of each table row of the section under `heading`. */
function tableNames(heading: string): Set<string> {
  const section = readme.split(/^## /m).find((part) => part.startsWith(heading));
  assert.ok(section, `README has a "${heading}" section`);
  const names = new Set<string>();
  for (const line of section.split('\n')) {
    if (!line.startsWith('| ')) continue;
    const firstCell = line.split('|')[1] ?? '';
    for (const match of firstCell.matchAll(/`([A-Za-z]+)[^`]*`/g)) names.add(match[1]!);
  }
  return names;
}

/** The flags table's body rows as the table declares them: flag, variable, setting, default. */
function expectedFlagRows(): string[][] {
  return workerOverrideSources.map((source) => [
    source.short ? `\`${source.short}, ${source.flag}\`` : `\`${source.flag}\``,
    `\`${source.variable}\``,
    `\`${source.setting}\``,
    source.default === undefined ? '-' : `\`${source.default}\``,
  ]);
}

/** The body rows (cells trimmed) of the table in `file` that lists `AMQP_URL` in its second column. */
function documentedFlagRows(file: string): string[][] {
  const lines = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8').split('\n');
  const cells = (line: string) =>
    line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim());
  const first = lines.findIndex((line) => line.startsWith('|') && cells(line)[1] === '`AMQP_URL`');
  assert.ok(first > 1, `${file} has the worker flags table`);
  const rows: string[][] = [];
  for (let i = first; i < lines.length && lines[i]!.startsWith('|'); i++) rows.push(cells(lines[i]!));
  return rows;
}

describe('README settings table', () => {
  const documented = tableNames('Settings and defaults');
  // Hooks and handlers have their own README sections; they are not settings with a default.
  const elsewhere = new Set(['handlers', 'onStartup', 'onShutdown', 'onJobStart', 'onJobEnd']);

  for (const [side, schema] of [
    ['client', clientSettingsSchema],
    ['worker', workerSettingsSchema],
  ] as const) {
    it(`lists every ${side} setting`, () => {
      const missing = Object.keys(schema.shape).filter((key) => !documented.has(key) && !elsewhere.has(key));
      assert.deepEqual(missing, [], `not in README's "Settings and defaults" table: ${missing.join(', ')}`);
    });
  }
});

describe('README worker flags table', () => {
  for (const file of ['README.md', 'README.zh-CN.md']) {
    it(`${file} has exactly the rows of workerOverrideTable`, () => {
      const expected = expectedFlagRows();
      assert.deepEqual(
        documentedFlagRows(file),
        expected,
        `${file}'s flags table should read:\n${expected.map((row) => `| ${row.join(' | ')} |`).join('\n')}`,
      );
    });
  }
});
