import { randomBytes } from 'node:crypto';
import type { Db } from '#root/db/client.js';
import { arrayLiteral, prepared } from '#root/db/prepared.js';
import type { Prisma } from '#root/generated/prisma/client.js';

/**
 * The claim/record state machine of a bundle and its items (STYLE §7), in SQL:
 *
 *     pending ──claim──▶ claimed ──record──▶ sent
 *        │                  │ └──release (temporary failure, lease lapsed)──▶ pending
 *        │                  └──fail (permanent)──▶ failed
 *        └──cancel (nothing left, stale)──▶ cancelled
 *
 * A bundle and its items move together: the claim takes the bundle (`pending →`) and, in the same
 * statement, those of its items still pending (`pending →`, `bundle_id` set), so that an item
 * confirmed, waived or taken by another bundle meanwhile is not in it, and no item is in two
 * bundles. Transactional channels claim straight to `sent` inside the transaction that writes the
 * message. Every statement takes a batch: many sends at one moment share one round trip.
 *
 * The rows of a batch are found by their ids (primary keys), and their state is compared as text
 * (`status::text = 'claimed'`): a comparison no index on `status` can serve. Otherwise the planner
 * may read every pending or claimed row to find the batch's few whenever the statistics say that
 * state is rare — as they do when they were gathered before the morning's fan-out, or never (a new
 * database): each batch then costs as much as reading the whole fan-out, quadratic in all.
 */

type Client = Db | Prisma.TransactionClient;

/** What a reclaim writes in `last_error`: a claim's move to `pending` that no release of its send made. */
export const RECLAIMED = 'reclaimed after lease: outcome unknown';

/** This process's part of its claim tokens: a process restarted under the same worker id has another. */
const processNonce = randomBytes(3).toString('hex');
let claimsTaken = 0;

/**
 * A new claim token of worker `workerId` (`hostname-pid`), for one claim statement: the owner
 * written in `claimed_by`, which every move out of the claim compares (see {@link Known}). It is
 * the claim's, not the worker's: a worker that claims a bundle again after its earlier claim of it
 * was reclaimed (its job retried in the same process after a freeze, two batches holding the same
 * bundle) must not have that earlier send's late outcome land on the new claim. It starts with the
 * worker id, for operators reading `claimed_by` (`host-1234:a1b2c3-17`; see {@link workerOfClaim}).
 */
export function claimToken(workerId: string): string {
  claimsTaken += 1;
  return `${workerId}:${processNonce}-${claimsTaken.toString(36)}`;
}

/** The worker id a claim token ({@link claimToken}) starts with. */
export const workerOfClaim = (token: string): string => {
  const at = token.lastIndexOf(':');
  return at < 0 ? token : token.slice(0, at);
};

export interface ClaimRequest {
  bundleId: string;
  itemIds: string[];
}

const claimStatement = prepared<{ bundle_id: string; reminder_id: string | null }>(
  'dondoc_claim_bundles',
  `WITH b AS (
     UPDATE bundles
        SET status = $1::"ReminderStatus", claimed_at = $2::timestamptz, claimed_by = $3::text,
            attempts = attempts + 1, sent_at = $4::timestamptz
      WHERE id = ANY($5::uuid[]) AND status::text = 'pending'
     RETURNING id),
   x AS (SELECT DISTINCT * FROM unnest($6::uuid[], $7::uuid[]) AS x(bundle_id, reminder_id)),
   r AS (
     UPDATE reminders rm
        SET status = $1::"ReminderStatus", bundle_id = x.bundle_id, claimed_at = $2::timestamptz,
            claimed_by = $3::text, attempts = rm.attempts + 1, sent_at = $4::timestamptz
       FROM x JOIN b ON b.id = x.bundle_id
      WHERE rm.id = x.reminder_id AND rm.status::text = 'pending'
     RETURNING rm.id, x.bundle_id)
   SELECT id AS bundle_id, NULL::uuid AS reminder_id FROM b
   UNION ALL
   SELECT bundle_id, id FROM r`,
);

/**
 * Claims bundles and their items under `token` (a {@link claimToken}, new for each statement:
 * every send of the batch carries it to its record, release, failure or cancel); for each request,
 * the ids of the items it won, or null when the bundle was not pending (another send has it, or it
 * is done). A bundle asked for twice in one batch is won by the first request only.
 */
export async function claimBundles(
  db: Client,
  requests: ClaimRequest[],
  to: 'claimed' | 'sent',
  token: string,
  now: Date,
): Promise<(string[] | null)[]> {
  const ids = [...new Set(requests.map((r) => r.bundleId))];
  const pairs = requests.flatMap((r) => r.itemIds.map((item) => [r.bundleId, item] as const));
  const rows = await claimStatement(db, [
    to,
    now,
    token,
    to === 'sent' ? now : null,
    ids,
    pairs.map((p) => p[0]),
    pairs.map((p) => p[1]),
  ]);
  const won = new Map<string, string[]>();
  for (const row of rows) {
    if (!won.has(row.bundle_id)) won.set(row.bundle_id, []);
    if (row.reminder_id) won.get(row.bundle_id)!.push(row.reminder_id);
  }
  const given = new Set<string>();
  return requests.map((r) => {
    const items = won.get(r.bundleId);
    if (!items || given.has(r.bundleId)) return null;
    given.add(r.bundleId);
    return items;
  });
}

export interface RecordRequest {
  bundleId: string;
  /** The token of the claim this send took ({@link claimToken}): recorded only if it still holds. */
  claimedBy: string;
  /** The items its claim won (what the message carried). */
  itemIds: string[];
  externalId: string | null;
  /** The items as shown, for an edit in place (Telegram): [{ o, c, b }]. */
  layout: unknown;
}

const recordStatement = prepared<{ n: number }>(
  'dondoc_record_sent',
  `WITH x AS (
     SELECT x.id, x.ext, x.by, $3::jsonb -> (x.n - 1)::int AS layout
       FROM unnest($1::uuid[], $2::text[], $7::text[]) WITH ORDINALITY AS x(id, ext, by, n)),
   b AS (
     UPDATE bundles SET status = 'sent', sent_at = $4::timestamptz, external_id = x.ext, layout = x.layout
       FROM x WHERE bundles.id = x.id AND bundles.status::text = 'claimed' AND bundles.claimed_by = x.by
     RETURNING bundles.id, x.ext),
   r AS (
     UPDATE reminders rm SET status = 'sent', sent_at = $4::timestamptz, external_id = b.ext
       FROM unnest($5::uuid[], $6::uuid[]) AS y(bundle_id, id) JOIN b ON b.id = y.bundle_id
      WHERE rm.id = y.id AND rm.bundle_id = y.bundle_id AND rm.status::text = 'claimed'
     RETURNING rm.id)
   SELECT count(*)::int AS n FROM b`,
);

/**
 * Records what the channel accepted: `claimed → sent`, the bundle and its items, of claims still
 * their request's `claimedBy` (see {@link Known}: records of several claim statements share one
 * batch); how many bundles moved. The layouts go as one JSON array (one
 * `JSON.stringify`, where a `jsonb[]` had each layout escaped again by pg as an array element) and
 * the ids as array literals (`arrayLiteral`).
 */
export async function recordSent(db: Client, requests: RecordRequest[], now: Date): Promise<number> {
  if (!requests.length) return 0;
  const items = requests.flatMap((r) => r.itemIds.map((item) => [r.bundleId, item] as const));
  const rows = await recordStatement(db, [
    arrayLiteral(requests.map((r) => r.bundleId)),
    arrayLiteral(requests.map((r) => r.externalId)),
    JSON.stringify(requests.map((r) => r.layout ?? null)),
    now,
    arrayLiteral(items.map((i) => i[0])),
    arrayLiteral(items.map((i) => i[1])),
    arrayLiteral(requests.map((r) => r.claimedBy)),
  ]);
  return rows[0]?.n ?? 0;
}

/**
 * A temporary failure: the bundle goes back to `pending` and its items with it, free to be bundled
 * again — if it is still the claim of token `claimedBy` (see {@link Known}). 1 if the bundle is
 * released by this claim, else 0 (the claim is no longer this send's).
 *
 * Released already counts: `persist` retries a write whose answer was lost (a database outage), and
 * a release whose earlier attempt landed finds the bundle `pending` — still under this claim's token,
 * which a release keeps and any later claim replaces. The one other move to `pending` that keeps the
 * token, the lease's reclaim, says so in `last_error` ({@link RECLAIMED}): that one is a claim lost.
 * Read in the statement's snapshot, before its own update: the two counts never both hold.
 */
export async function releaseBundle(db: Client, bundleId: string, reason: string, claimedBy: string): Promise<number> {
  const rows = await db.$queryRaw<{ n: number }[]>`
    WITH b AS (
      UPDATE bundles SET status = 'pending', last_error = ${reason.slice(0, 500)}
       WHERE id = ${bundleId}::uuid AND status = 'claimed' AND claimed_by = ${claimedBy} RETURNING id),
    r AS (
      UPDATE reminders SET status = 'pending', bundle_id = NULL
        FROM b WHERE reminders.bundle_id = b.id AND reminders.status = 'claimed'
      RETURNING reminders.id),
    done AS (
      SELECT id FROM bundles
       WHERE id = ${bundleId}::uuid AND status = 'pending' AND claimed_by = ${claimedBy}
         AND last_error IS DISTINCT FROM ${RECLAIMED})
    SELECT ((SELECT count(*) FROM b) + (SELECT count(*) FROM done))::int AS n`;
  return rows[0]?.n ?? 0;
}

/**
 * The state a caller knows a bundle in, which a move out of it checks: `pending` (read, not
 * claimed), `sent` (inside a transactional channel's transaction) or its own claim, by the token
 * of the statement that took it ({@link claimToken}). A claim is the claimer's only while its
 * lease runs: a send that outlives it (a process frozen past CLAIM_LEASE_SECONDS) finds its bundle
 * reclaimed and maybe claimed again by another send — of another worker, or of the same one (its
 * job retried after the freeze) — whose message may be on its way; its late record, release,
 * failure or cancel must not land on that claim (a record would point the ✅ edits at the wrong
 * message; a release or failure would have the bundle sent again, or by the next channel, beside
 * the other's message). test/chaos/claim-lease.test.ts freezes a real worker so.
 */
export type Known = 'pending' | 'sent' | { claimedBy: string };

const stateOf = (from: Known) =>
  typeof from === 'string' ? { state: from, by: null } : { state: 'claimed', by: from.claimedBy };

/**
 * A permanent failure: the bundle and its items are `failed`, from the state its caller knows it
 * in (its own claim; `pending`: only read, no channel to send it by) — never a bundle another send
 * claimed since, whose message may be on its way. How many bundles moved (0 or 1).
 */
export async function failBundle(
  db: Client,
  bundleId: string,
  reason: string,
  from: Exclude<Known, 'sent'>,
): Promise<number> {
  const { state, by } = stateOf(from);
  const rows = await db.$queryRaw<{ n: number }[]>`
    WITH b AS (
      UPDATE bundles SET status = 'failed', last_error = ${reason.slice(0, 500)}
       WHERE id = ${bundleId}::uuid AND status::text = ${state} AND (${by}::text IS NULL OR claimed_by = ${by})
      RETURNING id),
    r AS (
      UPDATE reminders SET status = 'failed', last_error = ${reason.slice(0, 500)}
        FROM b WHERE reminders.bundle_id = b.id AND reminders.status IN ('claimed', 'sent')
      RETURNING reminders.id)
    SELECT count(*)::int AS n FROM b`;
  return rows[0]?.n ?? 0;
}

/** Leaves items out of their bundle, for good, with why (`pending → cancelled`). */
export async function cancelItems(db: Client, items: { id: string; reason: string }[]): Promise<void> {
  if (!items.length) return;
  await db.$executeRaw`
    UPDATE reminders SET status = 'cancelled', last_error = x.reason
      FROM unnest(${items.map((i) => i.id)}::uuid[], ${items.map((i) => i.reason)}::text[]) AS x(id, reason)
     WHERE reminders.id = x.id AND reminders.status = 'pending'`;
}

/**
 * A bundle not sent (nothing left, stale): `from → cancelled`, with the items given; whether it
 * moved. `from` is the state its caller knows ({@link Known}): `pending` for a bundle it read but
 * did not claim — another send may have claimed it since (two sends of one bundle at once: its
 * batch's job and its own, two workers), and that claim is not undone, nor its items touched — or
 * its own claim (`sent` in a transactional channel's transaction).
 */
export async function cancelBundle(
  db: Client,
  bundleId: string,
  itemIds: string[],
  reason: string,
  from: Known,
): Promise<boolean> {
  const { state, by } = stateOf(from);
  const moved = await db.$executeRaw`
    UPDATE bundles SET status = 'cancelled', last_error = ${reason}
     WHERE id = ${bundleId}::uuid AND status::text = ${state} AND (${by}::text IS NULL OR claimed_by = ${by})`;
  if (!moved) return false;
  await cancelItems(
    db,
    itemIds.map((id) => ({ id, reason })),
  );
  return true;
}

/**
 * Bundles of organisation `orgId` claimed before `before` whose worker never recorded an outcome (it
 * died, or froze) go back to `pending` with their items (and so do the organisation's reminders
 * claimed alone, by an earlier version); returns their ids and channels, each a send of unknown
 * outcome. One organisation's, as the planner's pass that runs it is (jobs/maintenance.ts): each
 * pass looks at its own organisation's claims only, so a period's passes look at each claim once.
 * `claimed_by` is kept (who held the lapsed claim, for operators); `last_error` says
 * {@link RECLAIMED}, which tells the move from a release's (see {@link releaseBundle}).
 */
export async function reclaimBundles(db: Db, orgId: string, before: Date): Promise<{ id: string; channel: string }[]> {
  return db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<{ id: string; channel: string }[]>`
      UPDATE bundles SET status = 'pending', last_error = ${RECLAIMED}
       WHERE status = 'claimed' AND claimed_at < ${before} AND org_id = ${orgId}::uuid
      RETURNING id, channel::text`;
    if (rows.length)
      await tx.$executeRaw`
        UPDATE reminders SET status = 'pending', bundle_id = NULL
         WHERE bundle_id = ANY(${rows.map((r) => r.id)}::uuid[]) AND status = 'claimed'`;
    // A reminder claimed alone (before bundles existed) and never recorded: pending again.
    const lone = await tx.$queryRaw<{ id: string; channel: string }[]>`
      UPDATE reminders SET status = 'pending', last_error = ${RECLAIMED}
       WHERE status = 'claimed' AND bundle_id IS NULL AND claimed_at < ${before} AND org_id = ${orgId}::uuid
      RETURNING id, channel::text`;
    return [...rows, ...lone];
  });
}

/**
 * A digest (an administrator's daily summary) follows the same state machine, one row and no
 * items: claimed under a claim token ({@link claimToken}, one per claim), and moved out of the claim
 * only by the send that holds it (see {@link Known}) — a send frozen past the lease, whose digest
 * was reclaimed and claimed again, writes nothing over that claim. Transactional channels claim it
 * straight to `sent`. Whether it was claimed (it was pending).
 */
export async function claimDigest(
  db: Client,
  digestId: string,
  to: 'claimed' | 'sent',
  token: string,
  now: Date,
): Promise<boolean> {
  const { count } = await db.digest.updateMany({
    where: { id: digestId, status: 'pending' },
    data: {
      status: to,
      claimedAt: now,
      claimedBy: token,
      attempts: { increment: 1 },
      ...(to === 'sent' ? { sentAt: now } : {}),
    },
  });
  return count === 1;
}

/** Records what the channel accepted (`claimed → sent`), if the claim is still `claimedBy`'s; whether it landed. */
export async function recordDigest(
  db: Client,
  digestId: string,
  externalId: string | null,
  now: Date,
  claimedBy: string,
): Promise<boolean> {
  const { count } = await db.digest.updateMany({
    where: { id: digestId, status: 'claimed', claimedBy },
    data: { status: 'sent', sentAt: now, externalId },
  });
  return count === 1;
}

/**
 * A temporary failure: the digest goes back to `pending`, if the claim is still `claimedBy`'s; whether
 * it is released by this claim — now, or by an earlier attempt whose answer was lost, as
 * {@link releaseBundle} tells.
 */
export async function releaseDigest(db: Client, digestId: string, reason: string, claimedBy: string): Promise<boolean> {
  const rows = await db.$queryRaw<{ n: number }[]>`
    WITH d AS (
      UPDATE digests SET status = 'pending', last_error = ${reason.slice(0, 500)}
       WHERE id = ${digestId}::uuid AND status = 'claimed' AND claimed_by = ${claimedBy} RETURNING id),
    done AS (
      SELECT id FROM digests
       WHERE id = ${digestId}::uuid AND status = 'pending' AND claimed_by = ${claimedBy}
         AND last_error IS DISTINCT FROM ${RECLAIMED})
    SELECT ((SELECT count(*) FROM d) + (SELECT count(*) FROM done))::int AS n`;
  return rows[0]?.n === 1;
}

/**
 * A permanent failure (`failed`), from the state its caller knows the digest in: its own claim, or
 * `pending` (read, no channel configured to send it by); whether it moved.
 */
export async function failDigestRow(
  db: Client,
  digestId: string,
  reason: string,
  from: Exclude<Known, 'sent'>,
): Promise<boolean> {
  const { count } = await db.digest.updateMany({
    where:
      from === 'pending'
        ? { id: digestId, status: 'pending' }
        : { id: digestId, status: 'claimed', claimedBy: from.claimedBy },
    data: { status: 'failed', lastError: reason.slice(0, 500) },
  });
  return count === 1;
}

/**
 * Digests of organisation `orgId` claimed before `before` without an outcome (their worker died, or
 * froze past the lease) go back to `pending`, to be sent again (the README's rule); their ids and
 * channels. One organisation's, as {@link reclaimBundles}.
 */
export async function reclaimDigests(
  db: Client,
  orgId: string,
  before: Date,
): Promise<{ id: string; channel: string }[]> {
  return db.$queryRaw<{ id: string; channel: string }[]>`
    UPDATE digests SET status = 'pending', last_error = ${RECLAIMED}
     WHERE status = 'claimed' AND claimed_at < ${before} AND org_id = ${orgId}::uuid
    RETURNING id, channel::text`;
}
