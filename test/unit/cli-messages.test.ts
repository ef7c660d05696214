import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cliCatalogues, say } from '../../cli/cli-messages.js';

describe('CLI message catalogue', () => {
  it('has every line in en and zh-CN, each translated', () => {
    const keys = Object.keys(cliCatalogues.en) as (keyof typeof cliCatalogues.en)[];
    assert.deepEqual(Object.keys(cliCatalogues['zh-CN']).sort(), [...keys].sort());
    const params = {
      replayed: 1,
      scanned: 2,
      total: 3,
      queue: 'q',
      kept: 4,
      removed: 5,
      action: 'a',
      count: 6,
      dlq: 'q_dlq',
      exists: 1,
      jobId: 'j',
      status: 'failed',
      error: 'e',
      value: 'v',
      url: 'http://127.0.0.1:9464/healthz',
      body: 'ok',
      reason: 'r',
    };
    for (const key of keys) assert.notEqual(say(key, params, 'zh-CN'), say(key, params, 'en'), key);
  });
});
