import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { InvalidSettings, defineJobs, registerJobs } from '../../runtime/index.js';

const jobs = defineJobs({
  queue: 'main',
  jobs: {
    a: { args: z.object({}), result: z.string(), maxRetries: 2, timeout: 500 },
    b: { args: z.object({ n: z.number() }), queue: 'other' },
  },
});

describe('registerJobs', () => {
  it("registers each handler with its job's schemas and options, queue from the job or the definition", () => {
    const a = () => 'x';
    const b = () => undefined;
    const handlers = registerJobs(jobs, { a, b });
    assert.deepEqual(handlers, {
      a: { handler: a, args: jobs.jobs.a.args, result: jobs.jobs.a.result, queue: 'main', maxRetries: 2, timeout: 500 },
      b: { handler: b, args: jobs.jobs.b.args, queue: 'other' },
    });
  });

  it('refuses a missing handler and a handler for an unknown job, naming them', () => {
    assert.throws(
      () => registerJobs(jobs, { a: () => 'x' } as never),
      (err: unknown) => err instanceof InvalidSettings && /no handler for job\(s\) b/.test(err.message),
    );
    assert.throws(
      () => registerJobs(jobs, { a: () => 'x', b: () => undefined, c: () => 1 } as never),
      /handler\(s\) for unknown job\(s\) c/,
    );
  });
});
