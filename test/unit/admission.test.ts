import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { admitDelivery } from '../../runtime/worker/admission.js';
import type { AdmissionRules } from '../../runtime/worker/admission.js';
import type { JobEnvelope } from '../../runtime/wire-format.js';

const now = Date.parse('2026-01-01T00:00:00Z');
const schema = z.object({ n: z.number(), label: z.string().default('x') });
const rules: AdmissionRules = { args: schema, argKeys: ['n', 'label'] };

function job(fields: Partial<JobEnvelope> = {}): JobEnvelope {
  return {
    jobId: 'j',
    functionName: 'f',
    args: [],
    kwargs: { n: 1 },
    jobTry: 1,
    enqueueTime: new Date(now - 1_000),
    queueName: 'q',
    deferUntil: null,
    expires: null,
    ...fields,
  };
}

describe('admitDelivery', () => {
  const table: {
    name: string;
    job: JobEnvelope;
    rules?: AdmissionRules | undefined;
    expect: Record<string, unknown>;
  }[] = [
    { name: 'a due job with valid args runs, parsed', job: job(), expect: { kind: 'run', args: { n: 1, label: 'x' } } },
    {
      name: 'no handler: unknown_job',
      job: job(),
      rules: undefined,
      expect: { kind: 'dead', category: 'unknown_job' },
    },
    {
      name: 'expired: expired, before anything else',
      job: job({ expires: new Date(now), deferUntil: new Date(now + 60_000) }),
      expect: { kind: 'dead', category: 'expired' },
    },
    {
      name: 'due in 60 s: back through the ladder',
      job: job({ deferUntil: new Date(now + 60_000) }),
      expect: { kind: 'defer', remaining: 60_000 },
    },
    {
      name: 'due in exactly one ladder unit: the ladder',
      job: job({ deferUntil: new Date(now + 100) }),
      expect: { kind: 'defer', remaining: 100 },
    },
    {
      name: 'due in 99 ms: waited out here',
      job: job({ deferUntil: new Date(now + 99) }),
      expect: { kind: 'wait', due: now + 99 },
    },
    { name: 'due now: runs', job: job({ deferUntil: new Date(now) }), expect: { kind: 'run' } },
    {
      name: 'args failing the schema: invalid',
      job: job({ kwargs: { n: 'one' } }),
      expect: { kind: 'dead', category: 'invalid' },
    },
    {
      name: "Python's positional args map onto the schema's keys",
      job: job({ args: [5], kwargs: {} }),
      expect: { kind: 'run', args: { n: 5, label: 'x' } },
    },
    {
      name: 'a schema that throws: invalid, not a crash',
      job: job(),
      rules: {
        args: z.object({}).transform(() => {
          throw new Error('boom');
        }),
        argKeys: undefined,
      },
      expect: { kind: 'dead', category: 'invalid' },
    },
    {
      name: 'no schema: kwargs as they are',
      job: job({ kwargs: { any: true } }),
      rules: { args: undefined, argKeys: undefined },
      expect: { kind: 'run', args: { any: true } },
    },
  ];
  for (const row of table) {
    it(row.name, () => {
      const admission = admitDelivery(row.job, 'rules' in row ? row.rules : rules, now) as Record<string, unknown>;
      for (const [key, value] of Object.entries(row.expect)) assert.deepEqual(admission[key], value, key);
    });
  }

  it('never admits early: after a wait it is admitted again with the time of then', () => {
    const early = job({ deferUntil: new Date(now + 50) });
    assert.equal(admitDelivery(early, rules, now + 49).kind, 'wait');
    assert.equal(admitDelivery(early, rules, now + 50).kind, 'run');
  });
});
