// Counts agree with their nouns in the English lines ("fires 1 schedule", "removed 3 jobs"); the
// zh-CN lines carry the number with a measure word whatever it is.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cliCatalogues, say } from '../../cli/cli-messages.js';
import { catalogues } from '../../runtime/messages.js';
import { plural } from '../../runtime/plural.js';

const en = catalogues.en;

describe('counts and nouns', () => {
  it('plural() takes the singular for exactly one, the plural otherwise', () => {
    assert.equal(plural(1, 'job'), '1 job');
    assert.equal(plural(0, 'job'), '0 jobs');
    assert.equal(plural(2, 'dead letter'), '2 dead letters');
    assert.equal(plural('1', 'time'), '1 time', 'a count given as text');
    assert.equal(plural(3, 'entry', 'entries'), '3 entries');
  });

  it('runtime log lines in English agree with their counts', () => {
    assert.match(en['worker.started']({ worker: 'w', queues: 'q', concurrency: 1, jobs: 'a' }), /, 1 concurrent job,/);
    assert.match(
      en['worker.started']({ worker: 'w', queues: 'q', concurrency: 10, jobs: 'a' }),
      /, 10 concurrent jobs,/,
    );
    assert.match(en['worker.stopping']({ reason: 'close', timeout: 5, running: 1 }), /for 1 running job$/);
    assert.match(en['worker.stopping']({ reason: 'close', timeout: 5, running: 0 }), /for 0 running jobs$/);
    assert.match(en['worker.stats']({ completed: 1, failed: 0 }), /^◆ 1 job complete ◆ 0 failed/);
    assert.match(en['worker.stats']({ completed: 2, failed: 0 }), /^◆ 2 jobs complete ◆/);
    assert.match(en['job.isolated']({ jobId: 'j', functionName: 'f', returns: 3 }), /came back 3 times without/);
  });

  it('CLI lines in English agree with their counts, in zh-CN they keep the number', () => {
    assert.equal(say('queuePurged', { removed: 1, queue: 'q' }, 'en'), 'removed 1 job from q');
    assert.equal(say('queuePurged', { removed: 3, queue: 'q' }, 'en'), 'removed 3 jobs from q');
    assert.equal(say('dlqPurged', { removed: 1, queue: 'q' }, 'en'), 'removed 1 dead letter from q_dlq');
    assert.equal(
      say('replayDone', { replayed: 1, queue: 'q', kept: 0 }, 'en'),
      'replayed 1 job into q; 0 left in q_dlq',
    );
    assert.equal(say('configProblems', { count: 1 }, 'en'), '1 problem found');
    assert.equal(say('configProblems', { count: 2 }, 'en'), '2 problems found');
    assert.equal(say('queuePurged', { removed: 1, queue: 'q' }, 'zh-CN'), '已从 q 删除 1 个任务');
    assert.match(
      catalogues['zh-CN']['worker.started']({ worker: 'w', queues: 'q', concurrency: 1, jobs: 'a' }),
      /1 个任务/,
    );
  });

  it('no English line, given 1 for every value, keeps a "(s)" or puts 1 before jobs, schedules, times, letters, problems or messages', () => {
    const ones = new Proxy({}, { get: () => 1 });
    const lines: [string, string][] = [
      ...Object.entries(en).map(([key, line]): [string, string] => [key, line(ones)]),
      ...Object.entries(cliCatalogues.en).map(([key, line]): [string, string] => [key, line(ones)]),
    ];
    for (const [key, text] of lines) {
      assert.doesNotMatch(text, /\(s\)/, `${key}: ${text}`);
      assert.doesNotMatch(
        text,
        /\b1 (?:[a-z-]+ )?(?:jobs|schedules|times|letters|problems|messages)\b/,
        `${key}: ${text}`,
      );
    }
  });
});
