// Every setting the client and worker accept is in the README's settings tables (the "Settings and
// defaults" table, or the worker flags table), so a new setting cannot ship undocumented.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { clientSettingsSchema, workerSettingsSchema } from '../../runtime/settings/settings.js';

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
