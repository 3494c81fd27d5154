import type { Config } from '#root/config.js';
import type { Db } from '#root/db/client.js';
import type { ChannelAdapter, OutgoingMessage, Recipient, SendResult } from '#root/channels/types.js';
import { DeliveryError } from '#root/channels/types.js';
import { dueInstant } from '#root/domain/obligation-state.js';
import { withUnit } from '#root/domain/indicators.js';
import { effectivePolicy, policyOverrideSchema, type ReminderPolicy } from '#root/domain/policy.js';
import { atLocalTime } from '#root/domain/stages.js';
import { obligationCode } from '#root/domain/obligation-code.js';
import { longDate, shortDate, weekdayName, workingDaysPhrase, type Lang } from '#root/domain/wording.js';
import { zonedDay } from '#root/domain/zoned-day.js';
import type { Channel, Prisma, ReminderKind } from '#root/generated/prisma/client.js';
import type { Logger } from '#root/logger.js';
import {
  PARTS,
  templateKey,
  type MessageName,
  type TemplateOverrides,
  type TemplateSet,
  type View,
} from '#root/messages/templates.js';
import { channelInWords, refusalInWords } from '#root/messages/refusal-words.js';
import type { Metrics } from '#root/metrics.js';
import type { Clock } from '#root/deps.js';
import type { WorkingCalendar } from '#root/domain/working-days.js';
import { createBatcher } from '#root/lib/batcher.js';
import { createSemaphore } from '#root/lib/semaphore.js';
import { loadCalendar } from './holidays.js';
import { missingIndicators } from './indicators.js';
import { linkExpiry, signLink } from './links.js';
import { migrateTelegramChat } from './telegram-chats.js';
import { createOverrideCache, OVERRIDE_REFRESH_MS } from './templates.js';

export interface DeliveryDeps {
  db: Db;
  config: Pick<Config, 'SECRET_KEY' | 'PUBLIC_URL' | 'PORT'>;
  templates: TemplateSet;
  /**
   * How old an organisation's cached template overrides may be before they are read again
   * (default {@link OVERRIDE_REFRESH_MS}): an edit on the administrators' page reaches every
   * worker within this time.
   */
  templateRefreshMs?: number;
  channels: Partial<Record<Channel, ChannelAdapter>>;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** This worker's name, written on its claims. */
  workerId: string;
}

export type DeliveryOutcome =
  | { outcome: 'sent'; externalId: string | null }
  /** Someone else handled it, or it is no longer wanted (confirmed, waived, extended). */
  | { outcome: 'skipped' | 'cancelled'; reason: string }
  /** Failed for good on this channel; `fallback` is the reminder created on the next channel. */
  | { outcome: 'failed'; reason: string; fallback: string | null };

/** How long a claim may stand without an outcome before it is presumed dead (see the README). */
export const CLAIM_LEASE_MS = 120_000;
/**
 * A worker that cannot write a send's outcome (the database is down) keeps trying until this long
 * before its claim's lease ends: past it another worker may be handed the reminder.
 */
const RECORD_MARGIN_MS = 20_000;

const MESSAGE_OF: Record<ReminderKind, MessageName> = {
  lead: 'reminder-lead',
  due: 'reminder-due',
  overdue: 'reminder-overdue',
  escalation: 'reminder-escalation',
  cooperating: 'reminder-cooperating',
};

/** What a reminder's message needs: one row of {@link loadReminders}. */
interface LoadedReminder {
  id: string;
  status: string;
  stage: string;
  channel: Channel;
  kind: ReminderKind;
  scheduledAt: Date;
  contactId: string;
  contact: {
    id: string;
    name: string;
    locale: Lang;
    email: string | null;
    telegramChatId: bigint | null;
    zaloUserId: string | null;
    active: boolean;
    unitName: string;
  };
  obligation: {
    id: string;
    orgId: string;
    status: string;
    current: boolean;
    dueAt: Date;
    extendedTo: Date | null;
    periodKey: string;
    unitName: string;
    unitId: string;
    /** appendix, report, manual: a yearly report's reminder lists the indicators still missing. */
    dutyOrigin: string;
    dutyCode: string;
    dutyTitle: string;
    planCode: string;
    planTitle: string;
    timeZone: string;
  };
}

/**
 * A batch of reminders with their contact, obligation, duty, plan and organisation in one SQL
 * statement (the hottest read of a busy worker: Prisma's nested includes cost several queries and
 * most of the CPU here).
 */
async function loadReminders(db: Db, ids: string[]): Promise<LoadedReminder[]> {
  const rows = await db.$queryRaw<
    {
      id: string;
      status: string;
      stage: string;
      channel: Channel;
      kind: ReminderKind;
      scheduled_at: Date;
      contact_id: string;
      c_name: string;
      c_locale: Lang;
      c_email: string | null;
      c_telegram: bigint | null;
      c_zalo: string | null;
      c_active: boolean;
      c_unit: string;
      o_id: string;
      o_org: string;
      o_status: string;
      o_current: boolean;
      o_due: Date;
      o_extended: Date | null;
      o_period: string;
      o_unit: string;
      d_code: string;
      d_title: string;
      d_origin: string;
      o_unit_id: string;
      p_code: string;
      p_title: string;
      tz: string;
    }[]
  >`
    SELECT r.id, r.status::text, r.stage, r.channel, r.kind, r.scheduled_at, r.contact_id,
           c.name AS c_name, c.locale AS c_locale, c.email AS c_email, c.telegram_chat_id AS c_telegram,
           c.zalo_user_id AS c_zalo, c.active AS c_active, cu.name AS c_unit,
           o.id AS o_id, o.org_id AS o_org, o.status::text AS o_status, o.current AS o_current, o.due_at AS o_due,
           o.extended_to AS o_extended, o.period_key AS o_period, ou.name AS o_unit,
           d.code AS d_code, d.title AS d_title, d.origin::text AS d_origin, o.unit_id AS o_unit_id, p.code AS p_code, p.title AS p_title, g.time_zone AS tz
      FROM reminders r
      JOIN contacts c ON c.id = r.contact_id
      JOIN units cu ON cu.id = c.unit_id
      JOIN obligations o ON o.id = r.obligation_id
      JOIN units ou ON ou.id = o.unit_id
      JOIN duties d ON d.id = o.duty_id
      JOIN plans p ON p.id = d.plan_id
      JOIN organisations g ON g.id = o.org_id
     WHERE r.id = ANY(${ids}::uuid[])`;
  return rows.map((x) => ({
    id: x.id,
    status: x.status,
    stage: x.stage,
    channel: x.channel,
    kind: x.kind,
    scheduledAt: x.scheduled_at,
    contactId: x.contact_id,
    contact: {
      id: x.contact_id,
      name: x.c_name,
      locale: x.c_locale,
      email: x.c_email,
      telegramChatId: x.c_telegram,
      zaloUserId: x.c_zalo,
      active: x.c_active,
      unitName: x.c_unit,
    },
    obligation: {
      id: x.o_id,
      orgId: x.o_org,
      status: x.o_status,
      current: x.o_current,
      dueAt: x.o_due,
      extendedTo: x.o_extended,
      periodKey: x.o_period,
      unitName: x.o_unit,
      unitId: x.o_unit_id,
      dutyOrigin: x.d_origin,
      dutyCode: x.d_code,
      dutyTitle: x.d_title,
      planCode: x.p_code,
      planTitle: x.p_title,
      timeZone: x.tz,
    },
  }));
}

/** Organisation data for one batch: each organisation's policy and calendar are read once. */
interface OrgData {
  policy(orgId: string): Promise<ReminderPolicy>;
  calendar(orgId: string, year: number): Promise<WorkingCalendar>;
}

/** A message for a transactional channel, waiting for its batch's transaction. */
interface TransactionalSend {
  adapter: Extract<ChannelAdapter, { transactional: true }>;
  id: string;
  to: Recipient;
  message: OutgoingMessage;
}

const memo = <T>(map: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> => {
  let hit = map.get(key);
  if (!hit) map.set(key, (hit = load()));
  return hit;
};

const recipientOf = (c: {
  id: string;
  name: string;
  locale: Lang;
  email: string | null;
  telegramChatId: bigint | null;
  zaloUserId: string | null;
}): Recipient => ({
  contactId: c.id,
  name: c.name,
  locale: c.locale,
  email: c.email,
  telegramChatId: c.telegramChatId,
  zaloUserId: c.zaloUserId,
});

/**
 * Delivers reminders and digests: claim, send, record (STYLE §7).
 *
 * - Transactional channels (the sandbox): the claim, the message and the record are one
 *   transaction — exactly once.
 * - Other channels: a conditional update claims the row (`pending → claimed`), the channel is
 *   called, the outcome is recorded (`claimed → sent`). A crash before the channel accepted the
 *   message leaves a claim that `reclaimStale` returns to `pending` after the lease: nothing is lost.
 *   A crash after the record repeats nothing. The window between the channel's acceptance and the
 *   record is the one place a message can go out twice; it is counted (`unknown` metric, a warning).
 *   A database outage does not open that window: the outcome is kept in memory and its write retried
 *   for as long as the claim is ours (see `persist`). A channel that does not answer (a timeout)
 *   leaves the outcome unknown too: the send is retried and counted the same way.
 * - Permanent failures disable the channel for the contact and create the same reminder on the next
 *   channel; temporary ones return the row to `pending` and throw, for BullMQ to retry with backoff.
 */
export function createDelivery(deps: DeliveryDeps) {
  const { db, templates, clock, logger, metrics } = deps;
  // The organisations' edited templates: read once per organisation and refresh period, not per message.
  const overrides = createOverrideCache(db, { refreshMs: deps.templateRefreshMs ?? OVERRIDE_REFRESH_MS, logger });
  const baseUrl = deps.config.PUBLIC_URL ?? `http://localhost:${deps.config.PORT}`;

  const orgData = (): OrgData => {
    const policies = new Map<string, Promise<ReminderPolicy>>();
    const calendars = new Map<string, Promise<WorkingCalendar>>();
    return {
      policy: (orgId) => memo(policies, orgId, async () => effectivePolicy(...(await orgPolicy(orgId)))),
      calendar: (orgId, year) => memo(calendars, `${orgId}:${year}`, () => loadCalendar(db, orgId, [year])),
    };
  };

  /** Reminders being sent at the same moment are read together: one query per batch, not per send. */
  const loadReminder = createBatcher(
    async (ids: string[]): Promise<({ r: LoadedReminder; org: OrgData } | null)[]> => {
      const rows = await loadReminders(db, ids);
      const byId = new Map(rows.map((r) => [r.id, r]));
      const org = orgData();
      return ids.map((id) => {
        const r = byId.get(id);
        return r ? { r, org } : null;
      });
    },
    { maxSize: 128, maxWaitMs: 2 },
  );

  /**
   * Transactional sends (the sandbox) made at the same moment share one transaction: the claims
   * (`pending → sent`, a conditional update: a row another worker took is not ours), the messages and
   * the records are committed together or not at all — exactly once, at a fraction of the cost of a
   * transaction per message.
   */
  const commitTransactional = createBatcher(
    async (items: TransactionalSend[]): Promise<({ externalId: string | null } | null)[]> => {
      const now = clock.now();
      const ids = items.map((i) => i.id);
      return db.$transaction(async (tx) => {
        const claimed = await tx.$queryRaw<{ id: string }[]>`
          UPDATE reminders
             SET status = 'sent', claimed_at = ${now}, claimed_by = ${deps.workerId}, sent_at = ${now}, attempts = attempts + 1
           WHERE id = ANY(${ids}::uuid[]) AND status = 'pending'
          RETURNING id`;
        const won = new Set(claimed.map((c) => c.id));
        const results = new Map<string, string | null>();
        // Two jobs for the same reminder in one batch: only the first may write its message.
        const winners = items.filter((i) => won.delete(i.id));
        for (const adapter of new Set(winners.map((w) => w.adapter))) {
          const group = winners.filter((w) => w.adapter === adapter);
          const out = adapter.sendMany
            ? await adapter.sendMany(
                tx,
                group.map((g) => ({ to: g.to, message: g.message })),
              )
            : await group.reduce<Promise<{ externalId: string | null }[]>>(
                async (acc, g) => [...(await acc), await adapter.send(tx, g.to, g.message)],
                Promise.resolve([]),
              );
          group.forEach((g, k) => results.set(g.id, out[k]?.externalId ?? null));
        }
        // No external_id written back: the message row itself points at its reminder
        // (outbox_messages.reminder_id, unique), and a second UPDATE of every row would double the writes.
        const given = new Set<string>();
        return items.map((i) =>
          results.has(i.id) && !given.has(i.id) && given.add(i.id) ? { externalId: results.get(i.id)! } : null,
        );
      });
    },
    { maxSize: 128, maxWaitMs: 2 },
  );

  async function deliverReminder(reminderId: string): Promise<DeliveryOutcome> {
    const loaded = await loadReminder(reminderId);
    if (!loaded) return { outcome: 'skipped', reason: 'gone' };
    const { r, org } = loaded;
    if (r.status !== 'pending') return { outcome: 'skipped', reason: r.status };
    const o = r.obligation;
    const zone = o.timeZone;
    const dueDate = zonedDay(dueInstant(o), zone);
    const stale =
      o.status !== 'open'
        ? o.status
        : !o.current
          ? 'retired'
          : !r.stage.endsWith(`@${dueDate.replace(/-/g, '')}`)
            ? 'due date moved'
            : !r.contact.active
              ? 'contact inactive'
              : !r.stage.startsWith('nudge-') && missedWindow(await org.policy(o.orgId), r.scheduledAt, zone)
                ? 'missed its sending window'
                : null;
    if (stale) {
      await db.reminder.updateMany({
        where: { id: r.id, status: 'pending' },
        data: { status: 'cancelled', lastError: stale },
      });
      return { outcome: 'cancelled', reason: stale };
    }
    const adapter = deps.channels[r.channel];
    if (!adapter) return fail(r.id, r.contactId, r.channel, r.kind, `channel ${r.channel} not configured`);

    const calendar = await org.calendar(o.orgId, Number(dueDate.slice(0, 4)));
    const sendDay = zonedDay(r.scheduledAt, zone);
    // A lead stage says what the policy says ("3 working days before" → "còn 3 ngày làm việc"),
    // even when the due date is a Sunday; otherwise count the working days to or past it.
    const lead = /^lead-(\d+)@/.exec(r.stage);
    const left = lead
      ? Number(lead[1])
      : r.stage.startsWith('due@')
        ? 0
        : sendDay <= dueDate
          ? calendar.workingDaysBetween(sendDay, dueDate)
          : -calendar.workingDaysBetween(dueDate, sendDay);
    const lang = r.contact.locale;
    // Valid for a fixed time from now, when the message goes out (see LINK_VALIDITY_SECONDS).
    const token = signLink(
      { obligationId: o.id, contactId: r.contactId, exp: linkExpiry(clock.now()) },
      deps.config.SECRET_KEY,
    );
    const view: View = {
      contactName: r.contact.name,
      unitName: r.kind === 'cooperating' ? r.contact.unitName : o.unitName,
      responsibleUnit: o.unitName,
      dutyCode: o.dutyCode,
      dutyTitle: o.dutyTitle,
      planCode: o.planCode,
      planTitle: o.planTitle,
      period: o.periodKey,
      dueDate: longDate(dueDate, lang),
      dueDateShort: shortDate(dueDate),
      dueWeekday: weekdayName(dueDate, lang),
      // The due stage is sent on the last working day on or before the due date: the message says
      // "today is the due date" only when it is (a Sunday's report is reminded on the Friday).
      dueToday: sendDay === dueDate ? 'yes' : '',
      remaining: workingDaysPhrase(left, lang),
      // The code names the period ("4.2-2026Q4"): the duty's code alone would be ambiguous.
      confirmCommand: `/xong ${obligationCode(o.dutyCode, o.periodKey)}`,
      extendCommand: `/giahan ${obligationCode(o.dutyCode, o.periodKey)}`,
      confirmUrl: `${baseUrl}/c/${token}`,
      ...(await missingIndicatorsView(o, r.kind, lang)),
    };
    const message: OutgoingMessage = {
      orgId: o.orgId,
      ref: { reminderId: r.id },
      obligationId: o.id,
      ...(r.kind === 'lead' || r.kind === 'due' || r.kind === 'overdue' ? { actions: ['done' as const] } : {}),
      ...render(MESSAGE_OF[r.kind], r.channel, lang, view, await overrides.forOrg(o.orgId)),
    };
    return send(adapter, 'reminder', r.id, recipientOf(r.contact), message, r.kind, {
      reminder: r.id,
      channel: r.channel,
      kind: r.kind,
      stage: r.stage,
    });
  }

  /**
   * The indicators the unit has not reported for the year, in the reminders (lead, due, overdue)
   * of a yearly report duty: read only for those (a report duty's yearly period), not per reminder.
   */
  async function missingIndicatorsView(
    o: LoadedReminder['obligation'],
    kind: ReminderKind,
    lang: Lang,
  ): Promise<{ indicatorsMissing: string | number; indicators: Record<string, string>[] }> {
    const none = { indicatorsMissing: '', indicators: [] };
    if (o.dutyOrigin !== 'report' || !/^\d{4}$/.test(o.periodKey) || kind === 'escalation' || kind === 'cooperating')
      return none;
    const missing = await missingIndicators(db, o.orgId, o.unitId, Number(o.periodKey));
    if (!missing.length) return none;
    const typed =
      lang === 'en'
        ? (ref: string) => `/indicator ${ref} <numerator>/<denominator>`
        : (ref: string) => `/chitieu ${ref} <tử số>/<mẫu số>`;
    return {
      indicatorsMissing: missing.length,
      indicators: missing.map((i) => ({
        ref: i.ref,
        title: i.title,
        target: i.target ? withUnit(i.target.value, i.unit) : '',
        command:
          i.unit === '%' ? typed(i.ref) : typed(i.ref).replace(/ \S+$/, lang === 'en' ? ' <value>' : ' <số liệu>'),
      })),
    };
  }

  /**
   * A scheduled message is sent only inside the sending window of its own day: one found after that
   * window closed (the program was down) is dropped as missed rather than sent in the evening; the
   * next stage carries on. Manual nudges are sent whenever the administrator asks.
   */
  function missedWindow(policy: ReminderPolicy, scheduledAt: Date, zone: string): boolean {
    const closes = atLocalTime(zonedDay(scheduledAt, zone), policy.windowEnd, zone);
    return clock.now().getTime() > closes.getTime();
  }

  async function orgPolicy(orgId: string) {
    const row = await db.reminderPolicy.findUnique({ where: { orgId_target: { orgId, target: 'org' } } });
    const parsed = policyOverrideSchema.safeParse(row?.settings);
    return parsed.success ? [parsed.data] : [];
  }

  function render(name: MessageName, channel: Channel, lang: Lang, view: View, edited: TemplateOverrides) {
    if (channel === 'email') {
      return {
        subject: templates.render(name, 'email', 'subject.txt', lang, view, edited),
        text: templates.render(name, 'email', 'text.txt', lang, view, edited),
        html: templates.render(name, 'email', 'html', lang, view, edited),
      };
    }
    const text = templates.render(name, channel, channel === 'telegram' ? 'html' : 'txt', lang, view, edited);
    return { subject: text.split('\n')[0] ?? '', text };
  }

  type Table = 'reminder' | 'digest';

  function delivered(
    sent: { externalId: string | null } | null,
    channel: Channel,
    kind: ReminderKind | 'digest',
    fields: Record<string, string>,
  ): DeliveryOutcome {
    if (!sent) return { outcome: 'skipped', reason: 'claimed elsewhere' };
    metrics.sent.inc({ channel, kind });
    logger.info(fields, 'delivered');
    return { outcome: 'sent', externalId: sent.externalId };
  }

  async function send(
    adapter: ChannelAdapter,
    table: Table,
    id: string,
    to: Recipient,
    message: OutgoingMessage,
    kind: ReminderKind | 'digest',
    fields: Record<string, string>,
  ): Promise<DeliveryOutcome> {
    if (adapter.transactional && table === 'reminder') {
      return delivered(await commitTransactional({ adapter, id, to, message }), adapter.name, kind, fields);
    }
    if (adapter.transactional) {
      // A digest: claim, message and record in one transaction — exactly once.
      const sent = await db.$transaction(async (tx) => {
        if (!(await claimAs(tx, table, id, 'sent', clock.now()))) return null;
        const result = await adapter.send(tx, to, message);
        await setExternalId(tx, table, id, result.externalId);
        return result;
      });
      return delivered(sent, adapter.name, kind, fields);
    }
    return slotsOf(adapter).run(() => claimSendRecord(adapter, table, id, to, message, kind, fields));
  }

  /**
   * Sends in flight per non-transactional channel. A claim is taken only once a slot is free, so a
   * rate-limited channel (SMTP at SMTP_RATE_PER_MINUTE) never holds a claim long enough to pass the
   * lease and be presumed dead: the window between acceptance and record stays one round trip.
   */
  const slots = new Map<ChannelAdapter, ReturnType<typeof createSemaphore>>();
  const slotsOf = (adapter: Extract<ChannelAdapter, { transactional: false }>) => {
    let s = slots.get(adapter);
    if (!s) slots.set(adapter, (s = createSemaphore(adapter.maxInFlight ?? 8)));
    return s;
  };

  async function claimSendRecord(
    adapter: Extract<ChannelAdapter, { transactional: false }>,
    table: Table,
    id: string,
    to: Recipient,
    message: OutgoingMessage,
    kind: ReminderKind | 'digest',
    fields: Record<string, string>,
  ): Promise<DeliveryOutcome> {
    // Rate limits are waited out before the claim, so that a claim lasts one round trip.
    await adapter.pace?.(to);
    const claimedAt = performance.now();
    if (!(await claimAs(db, table, id, 'claimed', clock.now())))
      return { outcome: 'skipped', reason: 'claimed elsewhere' };
    let result: SendResult;
    try {
      result = await sendFollowingMoves(adapter, to, message, fields);
    } catch (error) {
      const permanent = error instanceof DeliveryError && error.permanent;
      const reason = error instanceof Error ? error.message : String(error);
      if (permanent) return fail(id, to.contactId, adapter.name, kind, reason, table, error.scope);
      await persist(
        () => setState(db, table, id, ['claimed'], { status: 'pending', lastError: reason.slice(0, 500) }),
        claimedAt,
        fields,
      );
      metrics.retried.inc({ channel: adapter.name, kind });
      if (error instanceof DeliveryError && error.outcomeUnknown) {
        // No answer: the channel may have taken the message. Sent again, as the README's rule says.
        metrics.unknown.inc({ channel: adapter.name });
        logger.warn(
          { ...fields, err: error },
          'no answer from the channel: outcome unknown, will retry (possibly delivered twice)',
        );
      } else {
        logger.warn({ ...fields, err: error }, 'delivery failed, will retry');
      }
      throw error;
    }
    // The channel accepted the message; the record, from which on a crash repeats nothing. (Kept
    // out of the try above: a failure to write it is no failure to send, and must not give the row
    // back to `pending` — that would send a delivered reminder again, uncounted.)
    await persist(
      () =>
        setState(db, table, id, ['claimed'], { status: 'sent', sentAt: clock.now(), externalId: result.externalId }),
      claimedAt,
      fields,
    );
    return delivered(result, adapter.name, kind, fields);
  }

  /**
   * Sends, following a chat that moved: a Telegram group upgraded to a supergroup answers with its
   * new chat id; the contacts on the old one are moved to it (audited) and the message is sent there,
   * once, under the same claim. A second move in a row is left to the queue's retry.
   */
  async function sendFollowingMoves(
    adapter: Extract<ChannelAdapter, { transactional: false }>,
    to: Recipient,
    message: OutgoingMessage,
    fields: Record<string, string>,
  ): Promise<SendResult> {
    try {
      return await adapter.send(to, message);
    } catch (error) {
      if (!(error instanceof DeliveryError) || !error.movedTo || to.telegramChatId === null) throw error;
      const moved = await migrateTelegramChat(db, to.telegramChatId, error.movedTo.telegramChatId, 'system');
      logger.info(
        { ...fields, moved },
        'Telegram group upgraded to a supergroup: contact moved to the new chat, sending there',
      );
      return adapter.send({ ...to, telegramChatId: error.movedTo.telegramChatId }, message);
    }
  }

  /**
   * Writes what the channel answered, retrying while the database is unreachable (connections cut,
   * a restart, a failover), for as long as the claim is ours: until {@link RECORD_MARGIN_MS} before
   * its lease ends. Only this process knows the answer; giving up at once would leave the claim to
   * lapse and a delivered reminder to be sent again. Past that, the error is thrown and the lease
   * rule takes over.
   */
  async function persist(
    write: () => Promise<unknown>,
    claimedAt: number,
    fields: Record<string, string>,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await write();
        if (attempt > 1)
          logger.info({ ...fields, attempts: attempt }, 'outcome recorded once the database answered again');
        return;
      } catch (error) {
        const wait = Math.min(5_000, 250 * 2 ** (attempt - 1));
        if (performance.now() + wait > claimedAt + CLAIM_LEASE_MS - RECORD_MARGIN_MS) throw error;
        if (attempt === 1)
          logger.warn({ ...fields, err: error }, 'could not record the outcome; retrying until the database answers');
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  async function claimAs(
    tx: Prisma.TransactionClient | Db,
    table: Table,
    id: string,
    status: 'sent' | 'claimed',
    now: Date,
  ) {
    const data = {
      status,
      claimedAt: now,
      claimedBy: deps.workerId,
      attempts: { increment: 1 },
      ...(status === 'sent' ? { sentAt: now } : {}),
    };
    const { count } =
      table === 'reminder'
        ? await tx.reminder.updateMany({ where: { id, status: 'pending' }, data })
        : await tx.digest.updateMany({
            where: { id, status: 'pending' },
            data: { status, claimedAt: now, attempts: { increment: 1 }, ...(status === 'sent' ? { sentAt: now } : {}) },
          });
    return count === 1;
  }

  /** Moves a reminder or digest from one of `from` to a new state; the number of rows moved (0 or 1). */
  async function setState(
    tx: Prisma.TransactionClient | Db,
    table: Table,
    id: string,
    from: ('pending' | 'claimed')[],
    data: { status: 'pending' | 'sent' | 'failed'; sentAt?: Date; externalId?: string | null; lastError?: string },
  ): Promise<number> {
    const where = { id, status: { in: from } };
    const { count } =
      table === 'reminder'
        ? await tx.reminder.updateMany({ where, data })
        : await tx.digest.updateMany({ where, data });
    return count;
  }

  async function setExternalId(tx: Prisma.TransactionClient, table: Table, id: string, externalId: string | null) {
    if (table === 'reminder') await tx.reminder.update({ where: { id }, data: { externalId } });
    else await tx.digest.update({ where: { id }, data: { externalId } });
  }

  /**
   * A permanent failure: the row is failed and the contact's next channel tried. `scope` `'address'`
   * (blocked, chat gone): the channel is disabled for the contact, and a contact with none left is
   * marked unreachable. `'message'` (Telegram cannot parse this text, an unknown refusal): the channel
   * stays enabled, the next channel after it takes this message, and the failure is audited
   * (`reminder.failed`) for the administrators' digest, which names it.
   */
  async function fail(
    id: string,
    contactId: string,
    channel: Channel,
    kind: ReminderKind | 'digest',
    reason: string,
    table: Table = 'reminder',
    scope: 'address' | 'message' = 'address',
  ): Promise<DeliveryOutcome> {
    metrics.failed.inc({ channel, kind });
    const fallback = await db.$transaction(async (tx) => {
      await setState(tx, table, id, ['pending', 'claimed'], { status: 'failed', lastError: reason.slice(0, 500) });
      const contact = await tx.contact.findUniqueOrThrow({ where: { id: contactId } });
      let next: Channel | undefined;
      if (scope === 'address') {
        const disabled = contact.disabledChannels.includes(channel)
          ? contact.disabledChannels
          : [...contact.disabledChannels, channel];
        await tx.contact.update({ where: { id: contactId }, data: { disabledChannels: disabled } });
        await tx.auditEvent.create({
          data: {
            orgId: contact.orgId,
            actor: 'system',
            action: 'contact.channel-disabled',
            entity: 'contact',
            entityId: contactId,
            data: { channel, reason: reason.slice(0, 200) },
          },
        });
        next = contact.channels.find((c) => !disabled.includes(c));
        if (!next) {
          await tx.contact.updateMany({
            where: { id: contactId, unreachableSince: null },
            data: { unreachableSince: clock.now() },
          });
          return null;
        }
      } else {
        // Only the channels after this one: the earlier ones were tried before it came to this one.
        const at = contact.channels.indexOf(channel);
        next = contact.channels.slice(at + 1).find((c) => !contact.disabledChannels.includes(c));
        const duty =
          table === 'reminder'
            ? (
                await tx.reminder.findUniqueOrThrow({
                  where: { id },
                  select: { obligation: { select: { duty: { select: { code: true } } } } },
                })
              ).obligation.duty.code
            : null;
        await tx.auditEvent.create({
          data: {
            orgId: contact.orgId,
            actor: 'system',
            action: `${table}.failed`,
            entity: table,
            entityId: id,
            data: { contact: contactId, channel, next: next ?? null, dutyCode: duty, reason: reason.slice(0, 200) },
          },
        });
        if (!next) return null;
      }
      if (table === 'reminder') {
        const r = await tx.reminder.findUniqueOrThrow({ where: { id } });
        const created = await tx.reminder.upsert({
          where: {
            obligationId_contactId_channel_stage: {
              obligationId: r.obligationId,
              contactId,
              channel: next,
              stage: r.stage,
            },
          },
          update: {},
          create: {
            orgId: r.orgId,
            obligationId: r.obligationId,
            contactId,
            channel: next,
            kind: r.kind,
            stage: r.stage,
            scheduledAt: r.scheduledAt,
          },
        });
        return created.status === 'pending' ? created.id : null;
      }
      const dg = await tx.digest.findUniqueOrThrow({ where: { id } });
      const created = await tx.digest.upsert({
        where: { contactId_day_channel: { contactId, day: dg.day, channel: next } },
        update: {},
        create: { orgId: dg.orgId, contactId, day: dg.day, channel: next, scheduledAt: dg.scheduledAt },
      });
      return created.status === 'pending' ? created.id : null;
    });
    if (scope === 'address')
      logger.warn({ [table]: id, channel, fallback }, 'delivery failed for good; channel disabled for this contact');
    else
      logger.warn(
        { [table]: id, channel, fallback, reason },
        'this message cannot be delivered on this channel; not retried, channel kept',
      );
    return { outcome: 'failed', reason, fallback };
  }

  /**
   * Sends one administrator's digest of a working day: obligations that became overdue, those
   * confirmed, contacts newly unreachable, and reminders a channel refused (audited
   * `reminder.failed`, listed on their own), since the previous working day's digest. Nothing to
   * say → no message (the row is cancelled).
   */
  async function deliverDigest(digestId: string): Promise<DeliveryOutcome> {
    const dg = await db.digest.findUnique({ where: { id: digestId }, include: { contact: true, org: true } });
    if (!dg) return { outcome: 'skipped', reason: 'gone' };
    if (dg.status !== 'pending') return { outcome: 'skipped', reason: dg.status };
    const zone = dg.org.timeZone;
    const policy = effectivePolicy(...(await orgPolicy(dg.orgId)));
    if (missedWindow(policy, dg.scheduledAt, zone)) {
      await db.digest.updateMany({
        where: { id: dg.id, status: 'pending' },
        data: { status: 'cancelled', lastError: 'missed its sending window' },
      });
      return { outcome: 'cancelled', reason: 'missed its sending window' };
    }
    const day = dg.day.toISOString().slice(0, 10);
    const calendar = await loadCalendar(db, dg.orgId, [Number(day.slice(0, 4))]);
    const since = atLocalTime(calendar.addWorkingDays(day, -1), policy.windowStart, zone);
    const until = dg.scheduledAt;
    const lang = dg.contact.locale;
    const [overdue, confirmed, unreachable, open, channelFailures, messageFailures] = await Promise.all([
      db.obligation.findMany({
        where: {
          orgId: dg.orgId,
          status: 'open',
          current: true,
          history: false,
          OR: [{ extendedTo: null, dueAt: { gt: since, lte: until } }, { extendedTo: { gt: since, lte: until } }],
        },
        include: { unit: true, duty: true },
      }),
      db.confirmation.findMany({
        where: { orgId: dg.orgId, withdrawnAt: null, createdAt: { gt: since, lte: until } },
        include: { obligation: { include: { unit: true, duty: true } }, contact: true },
      }),
      db.contact.findMany({
        where: { orgId: dg.orgId, unreachableSince: { gt: since, lte: until } },
        include: { unit: true },
      }),
      db.obligation.count({
        where: { orgId: dg.orgId, status: 'open', current: true, history: false, dueAt: { lte: until } },
      }),
      db.auditEvent.findMany({
        where: { orgId: dg.orgId, action: 'contact.channel-disabled', createdAt: { gt: since, lte: until } },
        orderBy: { createdAt: 'asc' },
      }),
      db.auditEvent.findMany({
        where: { orgId: dg.orgId, action: 'reminder.failed', createdAt: { gt: since, lte: until } },
        orderBy: { createdAt: 'asc' },
      }),
    ]);
    // A channel that failed for good (blocked bot, unknown user, rejected address) is told once, in
    // the digest after it happened, with where the reminders go now; a contact with nothing left is
    // in `unreachable` already.
    const failedIds = [...new Set(channelFailures.flatMap((e) => (e.entityId ? [e.entityId] : [])))].filter(
      (id) => !unreachable.some((c) => c.id === id),
    );
    const failedContacts = failedIds.length
      ? await db.contact.findMany({ where: { id: { in: failedIds } }, include: { unit: true } })
      : [];
    const label = (ch: string) =>
      ({ telegram: 'Telegram', zalo: 'Zalo', email: 'Email', sandbox: 'sandbox' })[ch] ?? ch;
    const degraded = failedContacts.map((c) => {
      const failed = [
        ...new Set(
          channelFailures
            .filter((e) => e.entityId === c.id)
            .map((e) => String((e.data as { channel?: string } | null)?.channel ?? '')),
        ),
      ];
      const next = c.channels.find((ch) => !c.disabledChannels.includes(ch));
      const reason =
        lang === 'vi'
          ? `${failed.map(label).join(', ')} không gửi được${next ? `; nhắc nhở chuyển sang ${label(next)}` : ''}`
          : `${failed.map(label).join(', ')} failed${next ? `; reminders now go by ${label(next)}` : ''}`;
      return { personName: c.name, unitName: c.unit.name, reason };
    });
    // A reminder a channel refused for good (Telegram cannot parse it, a text too long, an unknown
    // refusal) has its own list, with where it went instead: the contact's channel still works, one
    // message was refused, so it is not among the unreachable. Nothing fails unseen.
    type Failure = {
      contact?: string;
      channel?: string;
      next?: string | null;
      dutyCode?: string | null;
      reason?: string;
    };
    const failures = messageFailures.map((e) => ({ reminderId: e.entityId, ...((e.data ?? {}) as Failure) }));
    const [failureContacts, failureReminders] = failures.length
      ? await Promise.all([
          db.contact.findMany({
            where: { id: { in: [...new Set(failures.flatMap((f) => (f.contact ? [f.contact] : [])))] } },
            include: { unit: true },
          }),
          db.reminder.findMany({
            where: { id: { in: failures.flatMap((f) => (f.reminderId ? [f.reminderId] : [])) } },
            select: { id: true, obligation: { select: { duty: { select: { code: true, title: true } } } } },
          }),
        ])
      : [[], []];
    const failed = failures.flatMap((f) => {
      const c = failureContacts.find((x) => x.id === f.contact);
      if (!c) return [];
      const duty = failureReminders.find((r) => r.id === f.reminderId)?.obligation.duty;
      return [
        {
          dutyCode: duty?.code ?? f.dutyCode ?? '',
          dutyTitle: duty?.title ?? '',
          unitName: c.unit.name,
          personName: c.name,
          channel: channelInWords(f.channel ?? '', lang),
          reason: refusalInWords(f.reason ?? '', lang),
          fallback: f.next ? channelInWords(f.next, lang) : '',
        },
      ];
    });
    if (!overdue.length && !confirmed.length && !unreachable.length && !degraded.length && !failed.length) {
      await db.digest.updateMany({
        where: { id: dg.id, status: 'pending' },
        data: { status: 'cancelled', lastError: 'nothing to report' },
      });
      return { outcome: 'cancelled', reason: 'nothing to report' };
    }
    const byCode = (a: { duty: { code: string } }, b: { duty: { code: string } }) =>
      a.duty.code.localeCompare(b.duty.code, undefined, { numeric: true });
    const view: View = {
      contactName: dg.contact.name,
      date: shortDate(day),
      orgName: dg.org.name,
      overdueCount: overdue.length,
      confirmedCount: confirmed.length,
      openCount: open,
      overdue: overdue.sort(byCode).map((o) => {
        const d = zonedDay(dueInstant(o), zone);
        return {
          unitName: o.unit.name,
          dutyCode: o.duty.code,
          dutyTitle: o.duty.title,
          dueDate: longDate(d, lang),
          dueDateShort: shortDate(d),
        };
      }),
      confirmed: confirmed.map((c) => ({
        unitName: c.obligation.unit.name,
        dutyCode: c.obligation.duty.code,
        dutyTitle: c.obligation.duty.title,
        confirmedBy: c.contact?.name ?? c.actor ?? '',
        confirmedAt: `${shortDate(zonedDay(c.createdAt, zone))}`,
      })),
      unreachable: [
        ...unreachable.map((c) => ({
          personName: c.name,
          unitName: c.unit.name,
          reason: lang === 'vi' ? 'không còn kênh nào gửi được' : 'no working channel left',
        })),
        ...degraded,
      ],
      failedCount: failed.length,
      failed,
    };
    const edited = await overrides.forOrg(dg.orgId);
    // A digest an organisation edited before the list of refused reminders existed does not show
    // it: there they go among the unreachable, worded, rather than unseen.
    const unaware = Object.values(PARTS)
      .flat()
      .some((part) => {
        const source = edited.get(templateKey('digest', dg.channel, part, lang));
        return source !== undefined && source.includes('{{#unreachable}}') && !/\{\{[#^]\s*failed\s*\}\}/.test(source);
      });
    if (unaware && Array.isArray(view.unreachable)) {
      view.unreachable.push(
        ...failed.map((f) => ({
          personName: f.personName,
          unitName: f.unitName,
          reason:
            lang === 'vi'
              ? `tin nhắc ${f.dutyCode} không gửi được qua ${f.channel}: ${f.reason}; ${f.fallback ? `đã gửi lại qua ${f.fallback}` : 'không còn kênh nào khác'}`
              : `the reminder ${f.dutyCode} could not be sent by ${f.channel}: ${f.reason}; ${f.fallback ? `sent by ${f.fallback} instead` : 'no other channel left'}`,
        })),
      );
    }
    const adapter = deps.channels[dg.channel];
    if (!adapter)
      return fail(dg.id, dg.contactId, dg.channel, 'digest', `channel ${dg.channel} not configured`, 'digest');
    const message: OutgoingMessage = {
      orgId: dg.orgId,
      ref: { digestId: dg.id },
      ...render('digest', dg.channel, lang, view, edited),
    };
    return send(adapter, 'digest', dg.id, recipientOf(dg.contact), message, 'digest', {
      digest: dg.id,
      channel: dg.channel,
    });
  }

  /**
   * Returns claims older than the lease to `pending`: their worker died between claim and record.
   * Whether the channel accepted the message is unknowable, so it is sent again — the README's rule:
   * a reminder may arrive twice, never not at all. Each is counted.
   */
  async function reclaimStale(now: Date): Promise<number> {
    const before = new Date(now.getTime() - CLAIM_LEASE_MS);
    const rows = await db.reminder.findMany({
      where: { status: 'claimed', claimedAt: { lt: before } },
      select: { id: true, channel: true },
    });
    for (const r of rows) {
      const { count } = await db.reminder.updateMany({
        where: { id: r.id, status: 'claimed', claimedAt: { lt: before } },
        data: { status: 'pending', lastError: 'reclaimed after lease: outcome unknown' },
      });
      if (count) {
        metrics.unknown.inc({ channel: r.channel });
        logger.warn(
          { reminder: r.id, channel: r.channel },
          'claim without outcome reclaimed: possibly delivered twice',
        );
      }
    }
    const { count: digests } = await db.digest.updateMany({
      where: { status: 'claimed', claimedAt: { lt: before } },
      data: { status: 'pending' },
    });
    return rows.length + digests;
  }

  return { deliverReminder, deliverDigest, reclaimStale };
}

export type Delivery = ReturnType<typeof createDelivery>;
