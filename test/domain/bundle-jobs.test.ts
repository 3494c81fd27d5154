import { describe, expect, it } from 'vitest';
import { BATCH_SPREAD_MS, bundleJobs, BUNDLES_PER_JOB } from '#jobs/dispatch.js';
import { bundleIdsOf, JOB_SEND_BUNDLE, JOB_SEND_BUNDLES } from '#jobs/queues.js';

const now = new Date('2026-12-07T01:00:00Z');
const at = (ms: number) => new Date(now.getTime() + ms);
const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `b${String(from + i).padStart(5, '0')}`);

describe('the send jobs of the bundles a dispatch queues', () => {
  it('puts bundles already due in batches of at most BUNDLES_PER_JOB, none delayed, each bundle once', () => {
    const bundles = ids(2 * BUNDLES_PER_JOB + 1).map((id, i) => ({ id, scheduledAt: at(-60_000 + i) }));
    const jobs = bundleJobs(bundles, now);
    expect(jobs.map((j) => bundleIdsOf(j.data).length)).toEqual([BUNDLES_PER_JOB, BUNDLES_PER_JOB, 1]);
    expect(jobs.map((j) => j.name)).toEqual([JOB_SEND_BUNDLES, JOB_SEND_BUNDLES, JOB_SEND_BUNDLE]);
    expect(jobs.every((j) => j.opts.delay === 0)).toBe(true);
    expect(jobs.flatMap((j) => bundleIdsOf(j.data)).sort()).toEqual(bundles.map((b) => b.id).sort());
    // A batch of one keeps the bundle's own job id.
    expect(jobs[2]!.opts.jobId).toBe(`bundle-${bundles[2 * BUNDLES_PER_JOB]!.id}`);
  });

  it('batches bundles due within BATCH_SPREAD_MS of the first, delayed to the last of them: none goes early', () => {
    const bundles = [
      { id: 'a', scheduledAt: at(10_000) },
      { id: 'b', scheduledAt: at(10_000 + BATCH_SPREAD_MS) },
      { id: 'c', scheduledAt: at(10_000 + BATCH_SPREAD_MS + 1) },
      { id: 'd', scheduledAt: at(3_600_000) },
    ];
    const jobs = bundleJobs(bundles, now);
    expect(jobs.map((j) => [bundleIdsOf(j.data), j.opts.delay])).toEqual([
      [['a', 'b'], 10_000 + BATCH_SPREAD_MS],
      [['c'], 10_000 + BATCH_SPREAD_MS + 1],
      [['d'], 3_600_000],
    ]);
  });

  it('names a batch by its bundles, in any order: the same bundles queued again are the same job', () => {
    const bundles = ids(5).map((id) => ({ id, scheduledAt: at(0) }));
    const [a] = bundleJobs(bundles, now);
    const [b] = bundleJobs([...bundles].reverse(), now);
    const [c] = bundleJobs(bundles.slice(1), now);
    expect(a!.opts.jobId).toBe(b!.opts.jobId);
    expect(a!.opts.jobId).not.toBe(c!.opts.jobId);
    expect(a!.opts.jobId).toMatch(/^bundles-[0-9a-f]{32}$/);
  });
});
