import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planPass } from '#jobs/maintenance.js';
import { createLogger } from '#root/logger.js';
import { arrayLiteral, parseTimestamptz } from '#root/db/prepared.js';
import { bundlePending } from '#root/services/bundles.js';
import {
  cancelBundle,
  claimBundles,
  claimDigest,
  claimToken,
  failBundle,
  failDigestRow,
  reclaimBundles,
  reclaimDigests,
  recordDigest,
  recordSent,
  releaseBundle,
  releaseDigest,
  workerOfClaim,
} from '#root/services/delivery/claims.js';
import { persist } from '#root/services/delivery/context.js';
import { loadBundles } from '#root/services/delivery/load.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { buildTelegramReminders } from '../helpers/builders.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

/**
 * The delivery's batched statements (src/services/delivery/claims.ts, load.ts) as the worker runs
 * them over the pool (prepared, src/db/prepared.ts) and as a transactional channel runs them inside
 * a Prisma transaction: what each request wins and what each record writes, with the parameters
 * written as array literals and JSON rather than pg's arrays.
 */
describe('the claim and record statements', () => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Bundles of `chats` contacts with `perChat` items each, pending, with their items' ids. */
  const seed = async (code: string, chats: number, perChat: number, firstChat: number) => {
    const now = new Date();
    const { orgId } = await buildTelegramReminders(t.prisma, { code, chats, perChat, firstChat, now });
    await bundlePending(t.prisma, orgId, now);
    const ids = (await t.prisma.bundle.findMany({ where: { orgId }, orderBy: { contactId: 'asc' } })).map((b) => b.id);
    const loaded = await loadBundles(t.prisma, ids);
    const items = new Map(loaded.map((b) => [b.id, b.items.map((i) => i.id)]));
    return { orgId, ids, items: (id: string) => items.get(id)! };
  };

  const stateOf = async (bundleId: string) => {
    const b = await t.pool.query<{ status: string; external_id: string | null; layout: string | null }>(
      `SELECT status::text, external_id, layout::text FROM bundles WHERE id = $1::uuid`,
      [bundleId],
    );
    const r = await t.pool.query<{ id: string; status: string; bundle_id: string | null; external_id: string | null }>(
      `SELECT id, status::text, bundle_id, external_id FROM reminders WHERE contact_id =
         (SELECT contact_id FROM bundles WHERE id = $1::uuid) ORDER BY id`,
      [bundleId],
    );
    return { ...b.rows[0]!, items: r.rows };
  };

  it('loads each bundle with its contact and its pending items', async () => {
    const { ids, items } = await seed('cl-load', 3, 4, 610_000_000);
    const loaded = await loadBundles(t.prisma, [...ids, ids[0]!]);
    expect(loaded.map((b) => b.id).sort()).toEqual([...ids].sort());
    for (const b of loaded) {
      expect(b.status).toBe('pending');
      expect(b.scheduledAt).toBeInstanceOf(Date);
      expect(b.items).toHaveLength(4);
      expect(items(b.id)).toHaveLength(4);
      for (const i of b.items) {
        expect(i.scheduledAt).toBeInstanceOf(Date);
        expect(i.obligation.dueAt).toBeInstanceOf(Date);
        expect(i.obligation.extendedTo).toBeNull();
      }
    }
    const rows = await t.pool.query<{ id: string; scheduled_at: Date }>(
      `SELECT id, scheduled_at FROM reminders WHERE id = ANY($1::uuid[])`,
      [loaded.flatMap((b) => b.items.map((i) => i.id))],
    );
    const at = new Map(loaded.flatMap((b) => b.items.map((i) => [i.id, i.scheduledAt.getTime()])));
    for (const r of rows.rows) expect(at.get(r.id)).toBe(r.scheduled_at.getTime());
  });

  it('gives each request the items it won: a bundle asked twice once, one not pending none', async () => {
    const { ids, items } = await seed('cl-claim', 4, 3, 620_000_000);
    const [a, b, c, d] = ids as [string, string, string, string];
    // c is someone else's already; one of b's items went to another bundle meanwhile.
    await claimBundles(t.prisma, [{ bundleId: c, itemIds: items(c) }], 'claimed', 'other', new Date());
    const [taken, ...kept] = items(b);
    await t.pool.query(`UPDATE reminders SET status = 'claimed', bundle_id = $1::uuid WHERE id = $2::uuid`, [c, taken]);
    const won = await claimBundles(
      t.prisma,
      [
        { bundleId: a, itemIds: items(a) },
        { bundleId: b, itemIds: items(b) },
        { bundleId: a, itemIds: items(a) },
        { bundleId: c, itemIds: items(c) },
        { bundleId: d, itemIds: [] },
      ],
      'claimed',
      'me',
      new Date(),
    );
    expect(won.map((w) => w && [...w].sort())).toEqual([[...items(a)].sort(), [...kept].sort(), null, null, []]);
    const sa = await stateOf(a);
    expect(sa.status).toBe('claimed');
    expect(sa.items.map((i) => [i.status, i.bundle_id])).toEqual(sa.items.map(() => ['claimed', a]));
    expect((await stateOf(d)).status).toBe('claimed');
    expect((await stateOf(c)).items.every((i) => i.status === 'claimed' && i.bundle_id === c)).toBe(true);
  });

  it('records bundles and their items as sent, with their external ids and layouts as given', async () => {
    const { ids, items } = await seed('cl-record', 3, 2, 630_000_000);
    const [a, b, c] = ids as [string, string, string];
    await claimBundles(
      t.prisma,
      [a, b].map((id) => ({ bundleId: id, itemIds: items(id) })),
      'claimed',
      'me',
      new Date(),
    );
    const layout = [{ o: items(a)[0], c: 'D1 "quoted" \\ back,slash {x}', b: true }];
    const moved = await recordSent(
      t.prisma,
      [
        { bundleId: a, claimedBy: 'me', itemIds: items(a), externalId: '7:"42"\\', layout },
        { bundleId: b, claimedBy: 'me', itemIds: items(b), externalId: null, layout: undefined },
        // c was never claimed: not recorded.
        { bundleId: c, claimedBy: 'me', itemIds: items(c), externalId: '9:1', layout: [] },
      ],
      new Date(),
    );
    expect(moved).toBe(2);
    const sa = await stateOf(a);
    expect(sa.status).toBe('sent');
    expect(sa.external_id).toBe('7:"42"\\');
    expect(JSON.parse(sa.layout!)).toEqual(layout);
    expect(sa.items.map((i) => [i.status, i.external_id])).toEqual(sa.items.map(() => ['sent', '7:"42"\\']));
    const sb = await stateOf(b);
    expect([sb.status, sb.external_id, sb.layout]).toEqual(['sent', null, 'null']);
    expect(sb.items.map((i) => i.status)).toEqual(['sent', 'sent']);
    const sc = await stateOf(c);
    expect([sc.status, sc.external_id, sc.layout]).toEqual(['pending', null, null]);
    expect(sc.items.map((i) => i.status)).toEqual(['pending', 'pending']);
    expect(
      await recordSent(
        t.prisma,
        [{ bundleId: a, claimedBy: 'me', itemIds: items(a), externalId: 'again', layout: [] }],
        new Date(),
      ),
    ).toBe(0);
  });

  it("leaves a claim that is no longer the worker's to the one that holds it", async () => {
    // The late worker's claim lapsed: reclaimed after its lease, then claimed again by another,
    // whose message may be on its way. Nothing the late one writes may land on that claim.
    const { orgId, ids, items } = await seed('cl-owner', 1, 3, 650_000_000);
    const id = ids[0]!;
    const [mine] = await claimBundles(t.prisma, [{ bundleId: id, itemIds: items(id) }], 'claimed', 'late', new Date());
    expect(mine).toHaveLength(3);
    await t.pool.query(`UPDATE bundles SET claimed_at = now() - interval '1 hour' WHERE id = $1::uuid`, [id]);
    expect((await reclaimBundles(t.prisma, orgId, new Date(Date.now() - 60_000))).map((r) => r.id)).toContain(id);
    const [theirs] = await claimBundles(
      t.prisma,
      [{ bundleId: id, itemIds: items(id) }],
      'claimed',
      'other',
      new Date(),
    );
    expect(theirs).toHaveLength(3);
    const held = async () => {
      const s = await stateOf(id);
      const by = await t.pool.query<{ claimed_by: string }>(`SELECT claimed_by FROM bundles WHERE id = $1::uuid`, [id]);
      return { status: s.status, by: by.rows[0]!.claimed_by, items: s.items.map((i) => [i.status, i.bundle_id]) };
    };
    const before = await held();
    expect(before).toEqual({ status: 'claimed', by: 'other', items: items(id).map(() => ['claimed', id]) });

    const record = { bundleId: id, itemIds: items(id), externalId: '1:1', layout: [] };
    expect(await recordSent(t.prisma, [{ ...record, claimedBy: 'late' }], new Date())).toBe(0);
    expect(await releaseBundle(t.prisma, id, 'a late temporary failure', 'late')).toBe(0);
    expect(await failBundle(t.prisma, id, 'a late permanent failure', { claimedBy: 'late' })).toBe(0);
    expect(await cancelBundle(t.prisma, id, [], 'nothing left', { claimedBy: 'late' })).toBe(false);
    expect(await held()).toEqual(before);

    // The holder's own record goes through.
    expect(await recordSent(t.prisma, [{ ...record, claimedBy: 'other' }], new Date())).toBe(1);
    expect((await stateOf(id)).status).toBe('sent');
  });

  it('leaves a claim to the send that took it, when the late one is of the same worker', async () => {
    // The same process claims the bundle again after its first claim was reclaimed (its job retried
    // after a freeze, or a second batch holding the bundle): the first send's late outcome must not
    // land on the second claim, though both are the same worker's.
    const worker = 'host-4242';
    const { orgId, ids, items } = await seed('cl-token', 1, 3, 670_000_000);
    const id = ids[0]!;
    const first = claimToken(worker);
    const [firstWon] = await claimBundles(
      t.prisma,
      [{ bundleId: id, itemIds: items(id) }],
      'claimed',
      first,
      new Date(),
    );
    expect(firstWon).toHaveLength(3);
    await t.pool.query(`UPDATE bundles SET claimed_at = now() - interval '1 hour' WHERE id = $1::uuid`, [id]);
    expect((await reclaimBundles(t.prisma, orgId, new Date(Date.now() - 60_000))).map((r) => r.id)).toContain(id);
    const second = claimToken(worker);
    const [secondWon] = await claimBundles(
      t.prisma,
      [{ bundleId: id, itemIds: items(id) }],
      'claimed',
      second,
      new Date(),
    );
    expect(secondWon).toHaveLength(3);
    // Operators still read the worker in `claimed_by`, on the bundle and on its items.
    const by = await t.pool.query<{ claimed_by: string }>(
      `SELECT claimed_by FROM bundles WHERE id = $1::uuid UNION ALL SELECT claimed_by FROM reminders WHERE bundle_id = $1::uuid`,
      [id],
    );
    expect(by.rows.map((r) => r.claimed_by)).toEqual([second, second, second, second]);
    expect(second.startsWith(`${worker}:`)).toBe(true);
    expect(workerOfClaim(second)).toBe(worker);
    const held = async () => {
      const s = await stateOf(id);
      return { status: s.status, external: s.external_id, items: s.items.map((i) => [i.status, i.bundle_id]) };
    };
    const before = await held();
    expect(before).toEqual({ status: 'claimed', external: null, items: items(id).map(() => ['claimed', id]) });

    const record = { bundleId: id, itemIds: items(id), externalId: '1:1', layout: [] };
    expect(await recordSent(t.prisma, [{ ...record, claimedBy: first }], new Date())).toBe(0);
    expect(await releaseBundle(t.prisma, id, 'a late temporary failure', first)).toBe(0);
    expect(await failBundle(t.prisma, id, 'a late permanent failure', { claimedBy: first })).toBe(0);
    expect(await cancelBundle(t.prisma, id, [], 'nothing left', { claimedBy: first })).toBe(false);
    expect(await held()).toEqual(before);

    // In one batch with the late one (records of several claim statements share a statement), the
    // holder's record lands and the late one's does not.
    expect(
      await recordSent(
        t.prisma,
        [
          { ...record, claimedBy: first, externalId: '1:1' },
          { ...record, claimedBy: second, externalId: '1:2' },
        ],
        new Date(),
      ),
    ).toBe(1);
    expect(await held()).toEqual({ status: 'sent', external: '1:2', items: items(id).map(() => ['sent', id]) });
  });

  it('releases, fails and cancels its own claim', async () => {
    const { ids, items } = await seed('cl-own', 3, 2, 660_000_000);
    const [a, b, c] = ids as [string, string, string];
    await claimBundles(
      t.prisma,
      ids.map((id) => ({ bundleId: id, itemIds: items(id) })),
      'claimed',
      'me',
      new Date(),
    );
    expect(await releaseBundle(t.prisma, a, 'temporary', 'me')).toBe(1);
    expect((await stateOf(a)).status).toBe('pending');
    expect((await stateOf(a)).items.map((i) => [i.status, i.bundle_id])).toEqual([
      ['pending', null],
      ['pending', null],
    ]);
    expect(await failBundle(t.prisma, b, 'permanent', { claimedBy: 'me' })).toBe(1);
    expect((await stateOf(b)).items.map((i) => i.status)).toEqual(['failed', 'failed']);
    expect(await cancelBundle(t.prisma, c, [], 'nothing left', { claimedBy: 'me' })).toBe(true);
    expect((await stateOf(c)).status).toBe('cancelled');
  });

  /** A pending digest of a new organisation's contact, for `day` (YYYY-MM-DD). */
  const seedDigest = async (code: string, firstChat: number, day = '2026-12-07') => {
    const { orgId } = await buildTelegramReminders(t.prisma, {
      code,
      chats: 1,
      perChat: 1,
      firstChat,
      now: new Date(),
    });
    const contact = await t.prisma.contact.findFirstOrThrow({ where: { orgId } });
    const dg = await t.prisma.digest.create({
      data: {
        orgId,
        contactId: contact.id,
        day: new Date(`${day}T00:00:00Z`),
        channel: 'telegram',
        scheduledAt: new Date(),
      },
    });
    return dg.id;
  };
  const orgOfDigest = async (id: string) => (await t.prisma.digest.findUniqueOrThrow({ where: { id } })).orgId;
  const digestOf = async (id: string) => {
    const r = await t.pool.query<{
      status: string;
      claimed_by: string | null;
      external_id: string | null;
      attempts: number;
      last_error: string | null;
    }>(`SELECT status::text, claimed_by, external_id, attempts, last_error FROM digests WHERE id = $1::uuid`, [id]);
    return r.rows[0]!;
  };

  it("leaves a digest's claim to the send that took it, when the late one is of the same worker or another", async () => {
    // A digest claimed, its sender frozen past the lease, reclaimed and claimed again: by the same
    // worker (its job retried in the process), then by another. No late outcome lands on the claim.
    const worker = 'host-4343';
    const id = await seedDigest('cl-digest-owner', 680_000_000);
    const first = claimToken(worker);
    expect(await claimDigest(t.prisma, id, 'claimed', first, new Date())).toBe(true);
    expect(await claimDigest(t.prisma, id, 'claimed', claimToken('another'), new Date())).toBe(false);
    expect(await digestOf(id)).toMatchObject({ status: 'claimed', claimed_by: first, attempts: 1 });

    const lapse = async () => {
      await t.pool.query(`UPDATE digests SET claimed_at = now() - interval '1 hour' WHERE id = $1::uuid`, [id]);
      expect(
        (await reclaimDigests(t.prisma, await orgOfDigest(id), new Date(Date.now() - 60_000))).map((r) => r.id),
      ).toContain(id);
      expect(await digestOf(id)).toMatchObject({
        status: 'pending',
        last_error: 'reclaimed after lease: outcome unknown',
      });
    };
    const late = async (token: string) => {
      const before = await digestOf(id);
      expect(await recordDigest(t.prisma, id, '1:1', new Date(), token)).toBe(false);
      expect(await releaseDigest(t.prisma, id, 'a late temporary failure', token)).toBe(false);
      expect(await failDigestRow(t.prisma, id, 'a late permanent failure', { claimedBy: token })).toBe(false);
      expect(await digestOf(id)).toEqual(before);
    };

    await lapse();
    const second = claimToken(worker);
    expect(await claimDigest(t.prisma, id, 'claimed', second, new Date())).toBe(true);
    expect(await digestOf(id)).toMatchObject({ status: 'claimed', claimed_by: second, attempts: 2 });
    expect(workerOfClaim(second)).toBe(worker);
    await late(first);

    await lapse();
    const third = claimToken('host-other');
    expect(await claimDigest(t.prisma, id, 'claimed', third, new Date())).toBe(true);
    await late(first);
    await late(second);

    // The holder's record lands.
    expect(await recordDigest(t.prisma, id, '1:3', new Date(), third)).toBe(true);
    expect(await digestOf(id)).toMatchObject({ status: 'sent', claimed_by: third, external_id: '1:3', attempts: 3 });
    expect(await recordDigest(t.prisma, id, '1:4', new Date(), third)).toBe(false);
  });

  it('releases and fails its own digest claim, fails one only read as pending, and claims straight to sent in a transaction', async () => {
    const a = await seedDigest('cl-digest-own-a', 690_000_000);
    const b = await seedDigest('cl-digest-own-b', 690_000_100);
    const c = await seedDigest('cl-digest-own-c', 690_000_200);
    const mine = claimToken('me');
    expect(await claimDigest(t.prisma, a, 'claimed', mine, new Date())).toBe(true);
    expect(await releaseDigest(t.prisma, a, 'temporary', mine)).toBe(true);
    expect(await digestOf(a)).toMatchObject({ status: 'pending', last_error: 'temporary' });
    // Read as pending (no channel configured): failed from pending, not once claimed.
    expect(await claimDigest(t.prisma, a, 'claimed', claimToken('other'), new Date())).toBe(true);
    expect(await failDigestRow(t.prisma, a, 'not configured', 'pending')).toBe(false);
    expect(await failDigestRow(t.prisma, b, 'not configured', 'pending')).toBe(true);
    expect(await digestOf(b)).toMatchObject({ status: 'failed', last_error: 'not configured' });
    const own = claimToken('me');
    expect(await claimDigest(t.prisma, c, 'claimed', own, new Date())).toBe(true);
    expect(await failDigestRow(t.prisma, c, 'blocked', { claimedBy: own })).toBe(true);
    expect(await digestOf(c)).toMatchObject({ status: 'failed', last_error: 'blocked' });

    const d = await seedDigest('cl-digest-tx', 690_000_300);
    const tx = claimToken('me');
    expect(await t.prisma.$transaction((db) => claimDigest(db, d, 'sent', tx, new Date()))).toBe(true);
    const row = await t.prisma.digest.findUniqueOrThrow({ where: { id: d } });
    expect(row).toMatchObject({ status: 'sent', claimedBy: tx, attempts: 1 });
    expect(row.sentAt).toBeInstanceOf(Date);
  });

  it('claims straight to sent inside a transaction (a transactional channel)', async () => {
    const { ids, items } = await seed('cl-tx', 2, 2, 640_000_000);
    const [a, b] = ids as [string, string];
    const won = await t.prisma.$transaction((tx) =>
      claimBundles(
        tx,
        [a, b, a].map((id) => ({ bundleId: id, itemIds: items(id) })),
        'sent',
        'me',
        new Date(),
      ),
    );
    expect(won.map((w) => w && [...w].sort())).toEqual([[...items(a)].sort(), [...items(b)].sort(), null]);
    for (const id of [a, b]) {
      const s = await stateOf(id);
      expect(s.status).toBe('sent');
      expect(s.items.map((i) => [i.status, i.bundle_id])).toEqual(s.items.map(() => ['sent', id]));
    }
  });
  it('takes a release retried after its answer was lost for a release, and one after the reclaim for a claim lost', async () => {
    // `persist` retries a release whose first attempt landed (only the answer was lost): the retry
    // finds the bundle pending under this claim's token, released, not lost. The lease's reclaim,
    // the one other move to pending that keeps the token, is a claim lost.
    const { orgId, ids, items } = await seed('cl-release-again', 2, 2, 720_000_000);
    const [a, b] = ids as [string, string];
    const mine = claimToken('host-1');
    await claimBundles(
      t.prisma,
      ids.map((id) => ({ bundleId: id, itemIds: items(id) })),
      'claimed',
      mine,
      new Date(),
    );
    expect(await releaseBundle(t.prisma, a, 'temporary', mine)).toBe(1);
    expect(await releaseBundle(t.prisma, a, 'temporary', mine)).toBe(1);
    expect((await stateOf(a)).items.map((i) => [i.status, i.bundle_id])).toEqual(items(a).map(() => ['pending', null]));
    expect(await releaseBundle(t.prisma, a, 'temporary', claimToken('host-1'))).toBe(0);
    // Claimed since by another send (a new token): no longer this claim's.
    const theirs = claimToken('host-2');
    await claimBundles(t.prisma, [{ bundleId: a, itemIds: items(a) }], 'claimed', theirs, new Date());
    expect(await releaseBundle(t.prisma, a, 'temporary', mine)).toBe(0);
    expect((await stateOf(a)).status).toBe('claimed');
    // Reclaimed after the lease, not claimed again: pending under this token, but not released by it.
    await t.pool.query(`UPDATE bundles SET claimed_at = now() - interval '1 hour' WHERE id = $1::uuid`, [b]);
    expect((await reclaimBundles(t.prisma, orgId, new Date(Date.now() - 60_000))).map((r) => r.id)).toEqual([b]);
    expect(await releaseBundle(t.prisma, b, 'temporary', mine)).toBe(0);

    // A digest alike.
    const d = await seedDigest('cl-release-again-digest', 720_000_100);
    const e = await seedDigest('cl-release-again-digest-2', 720_000_200);
    expect(await claimDigest(t.prisma, d, 'claimed', mine, new Date())).toBe(true);
    expect(await claimDigest(t.prisma, e, 'claimed', mine, new Date())).toBe(true);
    expect(await releaseDigest(t.prisma, d, 'temporary', mine)).toBe(true);
    expect(await releaseDigest(t.prisma, d, 'temporary', mine)).toBe(true);
    expect(await digestOf(d)).toMatchObject({ status: 'pending', claimed_by: mine, last_error: 'temporary' });
    expect(await claimDigest(t.prisma, d, 'claimed', theirs, new Date())).toBe(true);
    expect(await releaseDigest(t.prisma, d, 'temporary', mine)).toBe(false);
    await t.pool.query(`UPDATE digests SET claimed_at = now() - interval '1 hour' WHERE id = $1::uuid`, [e]);
    expect(
      (await reclaimDigests(t.prisma, await orgOfDigest(e), new Date(Date.now() - 60_000))).map((r) => r.id),
    ).toEqual([e]);
    expect(await releaseDigest(t.prisma, e, 'temporary', mine)).toBe(false);
  });

  it('reports a release as landed when persist retries it after its answer was lost', async () => {
    // The release's statement runs, then its answer is lost (the connection cut as it came back):
    // persist retries, as it does in a database outage, and the retry must say released.
    const { ids, items } = await seed('cl-release-persist', 1, 2, 730_000_000);
    const id = ids[0]!;
    const mine = claimToken('host-1');
    await claimBundles(t.prisma, [{ bundleId: id, itemIds: items(id) }], 'claimed', mine, new Date());
    const d = await seedDigest('cl-release-persist-digest', 730_000_100);
    expect(await claimDigest(t.prisma, d, 'claimed', mine, new Date())).toBe(true);
    const answerLostOnce = <T>(write: () => Promise<T>) => {
      let attempts = 0;
      return async () => {
        attempts += 1;
        const written = await write();
        if (attempts === 1)
          throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
        return written;
      };
    };
    const said: string[] = [];
    const logger = createLogger({
      level: 'info',
      destination: { write: (line: string) => void said.push((JSON.parse(line) as { msg: string }).msg) },
    });
    const claim = { claimedAt: performance.now(), leaseMs: 120_000 };
    expect(
      await persist(
        logger,
        answerLostOnce(() => releaseBundle(t.prisma, id, 'temporary', mine)),
        claim,
        { bundle: id },
      ),
    ).toBe(1);
    expect(
      await persist(
        logger,
        answerLostOnce(() => releaseDigest(t.prisma, d, 'temporary', mine)),
        claim,
        { digest: d },
      ),
    ).toBe(true);
    expect(said.filter((m) => m === 'outcome recorded once the database answered again')).toHaveLength(2);
    expect((await stateOf(id)).status).toBe('pending');
    expect(await digestOf(d)).toMatchObject({ status: 'pending' });
  });
});

/**
 * The reclaim of lapsed claims in the planner's passes (jobs/maintenance.ts): one pass per
 * organisation, each over its own organisation's claims. With several organisations, a lapsed claim
 * is reclaimed, counted (`dondoc_reminders_unknown_outcome_total`) and said once in a period's
 * passes, by its own organisation's, and not again by the next period's.
 */
describe('the reclaim of lapsed claims, in the planner’s passes', () => {
  let t: TestDatabase;
  let s: TestApp;
  const lines: { msg: string; bundle?: string; digest?: string }[] = [];
  const RECLAIMED_SAID = 'claim without outcome reclaimed: possibly delivered twice';

  beforeAll(async () => {
    t = await createTestDatabase();
    // No worker: what the passes queue stays queued, and the rows stay as the passes leave them.
    s = await startTestApp(t, {
      start: new Date(),
      roles: ['bot'],
      logger: createLogger({
        level: 'warn',
        destination: { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) },
      }),
    });
  }, 120_000);
  afterAll(async () => {
    await s?.stop();
    await t?.close();
  });

  const unknownCount = async () => {
    const text = await s.app.metrics.registry.getSingleMetricAsString('dondoc_reminders_unknown_outcome_total');
    return Number(/\{channel="telegram"\} (\d+)/.exec(text)?.[1] ?? 0);
  };

  /** An organisation with one pending bundle (and a digest), claimed `ago` ms before now (null: not). */
  const org = async (code: string, firstChat: number, bundleAgo: number | null, digestAgo: number | null) => {
    const now = new Date();
    const { orgId } = await buildTelegramReminders(t.prisma, { code, chats: 1, perChat: 2, firstChat, now });
    await bundlePending(t.prisma, orgId, now);
    const bundle = await t.prisma.bundle.findFirstOrThrow({ where: { orgId } });
    const [won] = await claimBundles(
      t.prisma,
      [{ bundleId: bundle.id, itemIds: (await loadBundles(t.prisma, [bundle.id]))[0]!.items.map((i) => i.id) }],
      'claimed',
      claimToken('host-1'),
      now,
    );
    expect(won).toHaveLength(2);
    if (bundleAgo !== null)
      await t.prisma.bundle.update({
        where: { id: bundle.id },
        data: { claimedAt: new Date(now.getTime() - bundleAgo) },
      });
    const contact = await t.prisma.contact.findFirstOrThrow({ where: { orgId } });
    const digest = await t.prisma.digest.create({
      data: {
        orgId,
        contactId: contact.id,
        day: new Date('2026-12-07T00:00:00Z'),
        channel: 'telegram',
        scheduledAt: now,
      },
    });
    expect(await claimDigest(t.prisma, digest.id, 'claimed', claimToken('host-1'), now)).toBe(true);
    if (digestAgo !== null)
      await t.prisma.digest.update({
        where: { id: digest.id },
        data: { claimedAt: new Date(now.getTime() - digestAgo) },
      });
    return { orgId, bundle: bundle.id, digest: digest.id };
  };

  it('reclaims and counts a lapsed claim once, in its own organisation’s pass', async () => {
    const hour = 3_600_000;
    const orgs = [
      await org('rc-a', 710_000_000, hour, null),
      await org('rc-b', 710_000_100, hour, hour),
      await org('rc-c', 710_000_200, null, null),
    ];
    const before = await unknownCount();
    // One period: each organisation's pass, at once as the worker runs them.
    const pass = () => Promise.all(orgs.map((o) => planPass(s.deps, s.app.delivery, s.app.sendQueue(), o.orgId, 0)));
    expect((await pass()).map((r) => r.reclaimed)).toEqual([1, 2, 0]);
    expect(await unknownCount()).toBe(before + 3);
    const said = lines.filter((l) => l.msg === RECLAIMED_SAID).map((l) => l.bundle ?? l.digest);
    expect(said.sort()).toEqual([orgs[0]!.bundle, orgs[1]!.bundle, orgs[1]!.digest].sort());
    expect(
      (await t.prisma.bundle.findMany({ where: { id: { in: orgs.map((o) => o.bundle) } } }))
        .map((b) => [b.id, b.status])
        .sort(),
    ).toEqual(
      [
        [orgs[0]!.bundle, 'pending'],
        [orgs[1]!.bundle, 'pending'],
        [orgs[2]!.bundle, 'claimed'],
      ].sort(),
    );
    // The next period's passes: nothing lapsed any more, nothing counted again.
    expect((await pass()).map((r) => r.reclaimed)).toEqual([0, 0, 0]);
    expect(await unknownCount()).toBe(before + 3);
    expect(lines.filter((l) => l.msg === RECLAIMED_SAID)).toHaveLength(3);
  }, 120_000);
});

describe('parameters and values read by position', () => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('writes an array literal PostgreSQL reads back as the same strings', async () => {
    const cases: (string | null)[][] = [
      [],
      ['0b7e3f4c-1a2b-4c3d-8e9f-0a1b2c3d4e5f', 'f47ac10b-58cc-4372-a567-0e02b2c3d479'],
      ['a,b', '{c}', 'd"e', 'f\\g', '', ' h ', 'NULL', 'ơ ư 🎉', null, 'x\ny'],
      [null],
    ];
    for (const values of cases) {
      const r = await t.pool.query<{ a: (string | null)[] }>('SELECT $1::text[] AS a', [arrayLiteral(values)]);
      expect(r.rows[0]!.a).toEqual(values);
    }
  });

  it("reads every timestamptz as pg's own parser does", async () => {
    const pgParse = pg.types.getTypeParser(1184, 'text') as (value: string) => Date | number | null;
    const r = await t.pool.query<{ v: string }>(
      `SELECT v FROM (
         SELECT (timestamptz '2020-01-01 00:00:00+00' + (random() * 1e15)::bigint * interval '1 microsecond')::text AS v
           FROM generate_series(1, 3000)
         UNION ALL
         SELECT (timestamptz '2026-12-07 01:02:03+00' + n * interval '1 millisecond')::text FROM generate_series(0, 1000) n
       ) x`,
    );
    const values = [
      ...r.rows.map((x) => x.v),
      '2026-12-07 01:02:03.1+00',
      '2026-12-07 01:02:03.29+00',
      '2026-12-07 01:02:03.999999+00',
      '2026-12-07 01:02:03+00',
      '2026-12-07 08:02:03.5+07',
      '2026-12-07 01:02:03+05:30',
      '0099-03-15 00:00:00+00',
      '0044-03-15 00:00:00+00 BC',
      '12026-01-01 00:00:00+00',
      'infinity',
      '-infinity',
    ];
    for (const v of values) {
      const want = pgParse(v);
      const got = parseTimestamptz(v);
      expect([v, got instanceof Date ? got.getTime() : got]).toEqual([v, want instanceof Date ? want.getTime() : want]);
    }
  });
});
