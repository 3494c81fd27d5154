import { describe, expect, it } from 'vitest';
import { createClaimLane, type LaneClaim } from '#root/services/delivery/claim-lane.js';

describe('the claim lane of a channel', () => {
  it('claims a burst of thousands first come first served, a batch at a time, never holding more than its size', async () => {
    const size = 60;
    const batches: string[][] = [];
    let held = 0;
    let most = 0;
    const tokenOf = new Map<string, string>();
    const lane = createClaimLane({
      size,
      claim: async (requests) => {
        batches.push(requests.map((r) => r.bundleId));
        held += requests.length;
        most = Math.max(most, held);
        // One claim token per batch statement, carried by each of its claims.
        const claimedBy = `w:${batches.length}`;
        for (const r of requests) tokenOf.set(r.bundleId, claimedBy);
        return { claimedBy, won: requests.map((r) => r.itemIds) };
      },
    });
    const n = 5_000;
    const order: string[] = [];
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        lane.take({ bundleId: `b${i}`, itemIds: [`i${i}`] }).then(async (claim: LaneClaim) => {
          expect(claim.items).toEqual([`i${i}`]);
          expect(claim.claimedBy).toBe(tokenOf.get(`b${i}`));
          order.push(`b${i}`);
          // The send's answer comes later; its place is then given back (twice changes nothing).
          await new Promise((r) => setImmediate(r));
          held--;
          claim.release();
          claim.release();
        }),
      ),
    );
    expect(batches.flat()).toEqual(Array.from({ length: n }, (_, i) => `b${i}`));
    expect(order).toEqual(batches.flat());
    expect(most).toBeLessThanOrEqual(size);
    for (const b of batches) expect(b.length).toBeLessThanOrEqual(size);
    expect(batches.length).toBeLessThan(n / 10);
  });

  it('gives the place of a claim that won nothing back at once', async () => {
    const lane = createClaimLane({
      size: 1,
      claim: async (requests) => ({ claimedBy: 'w:1', won: requests.map(() => null) }),
    });
    const claims = await Promise.all([1, 2, 3].map((i) => lane.take({ bundleId: `b${i}`, itemIds: [] })));
    expect(claims.map((c) => c.items)).toEqual([null, null, null]);
  });
});
