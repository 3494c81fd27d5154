import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { ensureDatabase } from '#root/db/client.js';
import { migrate } from '#root/db/migrate.js';
import { dueInstant } from '#root/domain/obligation-state.js';
import { yearWindow, zonedDay, zonedYear } from '#root/domain/zoned-day.js';
import { parsePlanOffThread } from '#root/import/off-thread.js';
import {
  CHANNEL_NAMES,
  channelLabel,
  channelSpec,
  channelWords,
  LINKED,
  reachable,
  TYPED,
} from '#root/channels/registry.js';
import { isUnreachable } from '#root/domain/contacts.js';
import {
  addContact,
  createInvite,
  listContacts,
  setContactAddress,
  setContactChannels,
} from '#root/services/contacts.js';
import { channelFailureReasons } from '#root/services/channel-failures.js';
import { failureInWords } from '#root/messages/refusal-words.js';
import { listHolidays, removeHoliday, setHoliday } from '#root/services/holidays.js';
import {
  emptyLeadGroups,
  listObligations,
  reconcileCurrent,
  reconcileObligations,
  sumReconciled,
} from '#root/services/obligations.js';
import { createOrganisation, getOrganisation, setOrganisation } from '#root/services/orgs.js';
import {
  commitImport,
  conflictInWords,
  dutyFlags,
  fixDuty,
  listDuties,
  parseHorizonYear,
  parseTrackFrom,
  reviewImport,
  reviewJson,
  type ImportReview,
} from '#root/services/plans.js';
import { isoDate } from '#root/services/schedules.js';
import { unitsWithoutHead } from '#root/services/planner.js';
import { reportData } from '#root/services/report.js';
import { reportDocx } from '#root/services/report-docx.js';
import { statusByUnit } from '#root/services/status.js';
import {
  acceptProposed,
  addAlias,
  findUnit,
  addGroup,
  addMembers,
  addUnit,
  listUnits,
  mergeUnits,
  removeMembers,
} from '#root/services/units.js';
import { oneLanguage, UserError } from '#root/errors/index.js';
import { describeSchedule, stateInWords, type Lang } from '#root/domain/wording.js';
import { isTimeZone, isYearlyDue } from '#root/domain/org-settings.js';
import type { CliContext } from './context.js';
import { dateTime, shortDate, table, truncate } from '#root/lib/format.js';
import { addAdminCommands } from './admin-commands.js';
import { addReminderCommands } from './reminder-commands.js';
import { speakCommander } from './speak.js';
import { serviceWords, serviceWordsIn, type ServiceTIn } from '#root/messages/service-words.js';

type CliT = ServiceTIn<'cli'>;
/** Bad input, thrown as a {@link UserError} in both languages: printed in the run's. */
const cliWords = serviceWords('cli');

/** Kept for callers that imported it from here; it lives in src/domain/wording.ts now. */
export { describeSchedule };

type Out = (text: string) => void;

const ROLES = ['contact', 'head', 'supervisor', 'admin'] as const;
const isRole = (r: string): r is (typeof ROLES)[number] => (ROLES as readonly string[]).includes(r);

const json = (value: unknown) =>
  JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);

/** A year typed on the command line: 2000…2100. */
const yearArg = (v: string): number => {
  const y = Number(v);
  if (!Number.isInteger(y) || y < 2000 || y > 2100) throw new UserError(cliWords('invalidYear', { year: v }));
  return y;
};

/** `--year`; without it, the current year in the organisation's zone (see `yearOf`). */
const yearOption = (t: CliT) => new Option(t('arg.year'), t('opt.year')).argParser(yearArg);

/** What an import or a reconcile did, for a text's placeholders. */
const savedCounts = (r: { created: number; updated: number; unchanged: number; retired: number }) => ({
  created: r.created,
  updated: r.updated,
  unchanged: r.unchanged,
  retired: r.retired,
});
const reconciledCounts = (r: { created: number; updated: number; retired: number }) => ({
  created: r.created,
  updated: r.updated,
  retired: r.retired,
});

function printReview(review: ImportReview, out: Out, t: CliT, lang: Lang) {
  const p = review.plan;
  const day = (iso: string) => iso.split('-').reverse().join('/');
  out(p.issuedOn ? t('review.planOn', { code: p.code, day: day(p.issuedOn) }) : t('review.plan', { code: p.code }));
  if (p.title) out(`  ${p.title}`);
  const from = t(`review.horizonFrom.${review.horizonFrom}`);
  out(t('review.horizon', { year: p.horizonYear ?? t('none'), from }));
  const trackFrom = t(`review.trackFromFrom.${review.trackFromFrom}`);
  out(
    review.trackFrom
      ? t('review.trackedFrom', { day: day(review.trackFrom), from: trackFrom })
      : t('review.trackedAll', { from: trackFrom }),
  );
  out(t('review.format', { format: review.format, count: review.duties.length }));
  out('');
  out(
    table(
      [t('col.code'), t('col.duty'), t('col.lead'), t('col.cooperating'), t('col.timeframe'), t('col.schedule')],
      review.duties.map((d) => [
        d.code,
        truncate(d.title, 40),
        truncate(d.leads.join('; ') || '—', 40),
        String(d.cooperating.length),
        truncate(d.timeframe, 20),
        describeSchedule(d.schedule, lang),
      ]),
    ),
  );
  const flagged = review.duties.filter((d) => dutyFlags(d).length);
  if (flagged.length || review.flags.length) {
    out('');
    out(t('review.toReview'));
    for (const f of review.flags) out(`  ! ${oneLanguage(f, lang)}`);
    for (const d of flagged) for (const f of dutyFlags(d)) out(`  ! ${d.code} (${d.where}): ${oneLanguage(f, lang)}`);
  }
  const conflicts = review.duties.flatMap((d) => (d.conflicts ?? []).map((c) => ({ code: d.code, c })));
  const kept = review.duties.filter((d) => d.kept?.length);
  if (kept.length) {
    out('');
    out(t('review.kept', { count: kept.length, codes: kept.map((d) => d.code).join(', ') }));
  }
  if (conflicts.length) {
    out('');
    out(t('review.conflicts', { count: conflicts.length }));
    for (const { code, c } of conflicts) out(`  ? ${oneLanguage(conflictInWords(code, c), lang)}`);
  }
  if (review.indicators?.length) {
    out('');
    out(t('review.indicators', { count: review.indicators.length }));
    for (const i of review.indicators)
      out(
        `  ${i.code}. ${truncate(i.title, 70)} — ${Object.entries(i.targets)
          .map(([y, v]) => `${y}: ${v}${i.unit === '%' ? '%' : i.unit ? ` ${i.unit}` : ''}`)
          .join(', ')}`,
      );
  }
  if (review.newNames.length) {
    out('');
    out(t('review.newNames', { count: review.newNames.length }));
    for (const n of review.newNames) out(`  + ${t(n.kind === 'group' ? 'kind.group' : 'kind.unit')}: ${n.name}`);
  }
}

/**
 * The `dondoc` program, every text in the run's language (`ctx.lang`): the help, the results, the
 * messages. `--json` answers are the same in both.
 */
export function buildProgram(ctx: CliContext, out: Out): Command {
  const { lang } = ctx;
  const t = serviceWordsIn('cli', lang);
  const program = new Command('dondoc')
    .description(t('help.program'))
    .option(t('arg.lang'), t('opt.lang'))
    .showHelpAfterError(t('commander.showHelp'))
    .configureOutput({ writeOut: (s) => out(s.trimEnd()) });
  speakCommander(program, lang);
  const org = async (code: string | undefined) => getOrganisation(ctx.db, code ?? ctx.config.DEFAULT_ORG);
  // The year asked for, else this year where the organisation is (from 17:00 UTC on 31/12 it is
  // already the next year in Hanoi).
  const yearOf = (o: { year?: number }, organisation: { timeZone: string }) =>
    o.year ?? zonedYear(ctx.now(), organisation.timeZone);
  const orgOption = () => new Option(t('arg.org'), t('opt.org'));

  const db = program.command('db').description(t('help.db'));
  db.command('migrate')
    .description(t('help.dbMigrate'))
    .action(async () => {
      const created = await ensureDatabase(ctx.config.DATABASE_URL);
      const r = await migrate(ctx.config.DATABASE_URL);
      if (created) out(t('db.created'));
      out(r.applied.length ? t('db.applied', { names: r.applied.join(', ') }) : t('db.nothingToApply'));
    });

  const orgCmd = program.command('org').description(t('help.org'));
  orgCmd
    .command(t('cmd.orgCreate'))
    .description(t('help.orgCreate'))
    .requiredOption(t('arg.name'), t('opt.name'))
    .option(t('arg.tz'), t('opt.tz'), ctx.config.DEFAULT_TIME_ZONE)
    .option(t('arg.yearlyDue'), t('opt.yearlyDue'), '11-15')
    .action(async (code: string, o: { name: string; tz: string; yearlyDue: string }, cmd: Command) => {
      // Against an existing organisation only what was typed is compared, not the defaults.
      const typed = (name: string) => cmd.getOptionValueSource(name) === 'cli';
      const existing = await ctx.db.organisation.findUnique({ where: { code } });
      const r = await createOrganisation(
        ctx.db,
        {
          code,
          name: o.name,
          ...(!existing || typed('tz') ? { timeZone: o.tz } : {}),
          ...(!existing || typed('yearlyDue') ? { yearlyDue: o.yearlyDue } : {}),
        },
        ctx.actor,
      );
      out(
        `${r.org.code}: ${r.org.name} (${r.org.timeZone}, ${r.org.yearlyDue})${r.created ? '' : ` — ${t('org.unchanged')}`}`,
      );
    });
  orgCmd
    .command(t('cmd.orgSet'))
    .description(t('help.orgSet'))
    .option(t('arg.name'), t('opt.name'))
    .option(t('arg.tz'), t('opt.tz'))
    .option(t('arg.yearlyDue'), t('opt.yearlyDueShort'))
    .action(async (code: string, o: { name?: string; tz?: string; yearlyDue?: string }) => {
      const r = await setOrganisation(
        ctx.db,
        code,
        {
          ...(o.name !== undefined ? { name: o.name } : {}),
          ...(o.tz !== undefined ? { timeZone: o.tz } : {}),
          ...(o.yearlyDue !== undefined ? { yearlyDue: o.yearlyDue } : {}),
        },
        { actor: ctx.actor, now: ctx.now() },
      );
      out(
        `${r.org.code}: ${r.org.name} (${r.org.timeZone}, ${r.org.yearlyDue})${r.changed.length ? '' : ` — ${t('nothingChanged')}`}`,
      );
    });
  orgCmd
    .command('list')
    .description(t('help.orgList'))
    .action(async () => {
      const rows = await ctx.db.organisation.findMany({ orderBy: { code: 'asc' } });
      // A value stored before values were checked is named, with the way to repair it.
      const bad = (ok: boolean, v: string) => (ok ? v : `${v} (${t('org.invalid')})`);
      out(
        table(
          [t('col.orgCode'), t('col.name'), t('col.timeZone'), t('col.yearlyDue')],
          rows.map((r) => [
            r.code,
            r.name,
            bad(isTimeZone(r.timeZone), r.timeZone),
            bad(isYearlyDue(r.yearlyDue), r.yearlyDue),
          ]),
        ),
      );
      if (rows.some((r) => !isTimeZone(r.timeZone) || !isYearlyDue(r.yearlyDue))) {
        out(`\n${t('org.fix')}`);
      }
    });

  program
    .command(t('cmd.import'))
    .description(t('help.import'))
    .addOption(orgOption())
    .option(t('arg.plan'), t('opt.importPlan'))
    .option(t('arg.horizon'), t('opt.horizon'))
    .option(t('arg.trackFrom'), t('opt.trackFrom'))
    .option(t('arg.takeDocument'), t('opt.takeDocument'))
    .option('--dry-run', t('opt.dryRun'))
    .option('--json', t('opt.json'))
    .action(
      async (
        file: string,
        o: {
          org?: string;
          plan?: string;
          horizon?: string;
          trackFrom?: string;
          takeDocument?: string[];
          dryRun?: boolean;
          json?: boolean;
        },
      ) => {
        const o2 = await org(o.org);
        const trackFrom = o.trackFrom === undefined ? undefined : parseTrackFrom(o.trackFrom);
        const horizon = {
          ...(o.horizon === undefined ? {} : { horizonYear: parseHorizonYear(o.horizon) }),
          ...(trackFrom === undefined ? {} : { trackFrom }),
          ...(o.takeDocument?.length ? { takeDocument: o.takeDocument } : {}),
          today: zonedDay(ctx.now(), o2.timeZone),
        };
        let buf: Buffer;
        try {
          buf = await readFile(file);
        } catch {
          throw new UserError(cliWords('fileUnreadable', { file }));
        }
        // Read as the web reads uploads: in a worker thread, within the same bounds.
        const draft = await parsePlanOffThread(
          { data: buf, name: path.basename(file) },
          { defaultDue: o2.yearlyDue },
          { logger: ctx.logger },
        );
        // A dry run shows what was read even without a plan code (a plan flag says so).
        const review = await reviewImport(ctx.db, o2.id, draft, o.plan, {
          ...horizon,
          codeOptional: o.dryRun === true,
        });
        if (o.json) {
          const result = o.dryRun ? null : await commitImport(ctx.db, o2.id, review, ctx.actor);
          out(json({ ...reviewJson(review), ...(result ? { result } : {}) }));
          return;
        }
        printReview(review, out, t, lang);
        if (o.dryRun) {
          out(`\n${t('import.dryRun')}`);
          return;
        }
        const r = await commitImport(ctx.db, o2.id, review, ctx.actor);
        out(`\n${t('import.saved', savedCounts(r))}`);
        const ind = r.indicators;
        if (ind.created + ind.updated + ind.unchanged + ind.retired) out(t('import.indicators', savedCounts(ind)));
        const rec = sumReconciled(await reconcileCurrent(ctx.db, o2.id, ctx.now(), ctx.actor));
        out(t('reconciled', reconciledCounts(rec)));
        if (rec.emptyGroups.length) {
          out(t('import.emptyGroups', { groups: rec.emptyGroups.join('; ') }));
          out(`  ${t('import.addMembers')}`);
        }
      },
    );

  program
    .command('obligations')
    .description(t('help.obligations'))
    .addOption(orgOption())
    .addOption(yearOption(t))
    .option(t('arg.unit'), t('opt.oneUnit'))
    .option('--json', t('opt.json'))
    .action(async (o: { org?: string; year?: number; unit?: string; json?: boolean }) => {
      const o2 = await org(o.org);
      const year = yearOf(o, o2);
      // A read: it lists what is stored (this year and the next are kept up to date by every
      // change and by the hourly job; other years by `dondoc reconcile --year`).
      const rec = { emptyGroups: await emptyLeadGroups(ctx.db, o2.id) };
      const units = o.unit ? await listUnits(ctx.db, o2.id) : [];
      const unitId = o.unit
        ? units.find((u) => u.kind === 'unit' && u.name.toLowerCase() === o.unit!.toLowerCase())?.id
        : undefined;
      if (o.unit && !unitId) {
        const { findUnit } = await import('#root/services/units.js');
        const u = await findUnit(ctx.db, o2.id, o.unit);
        return print(await listObligations(ctx.db, o2.id, yearWindow(year), { unitId: u.id }));
      }
      return print(await listObligations(ctx.db, o2.id, yearWindow(year), unitId ? { unitId } : {}));

      function print(rows: Awaited<ReturnType<typeof listObligations>>) {
        if (o.json) {
          out(
            json({
              org: o2.code,
              year,
              emptyGroups: rec.emptyGroups,
              obligations: rows.map((r) => ({
                id: r.id,
                plan: r.plan,
                duty: r.duty,
                unit: r.unit,
                period: r.period,
                dueAt: r.dueAt.toISOString(),
                extendedTo: r.extendedTo?.toISOString() ?? null,
                status: r.status,
                history: r.history,
              })),
            }),
          );
          return;
        }
        out(
          table(
            [t('col.due'), t('col.plan'), t('col.code'), t('col.unit'), t('col.period'), t('col.state')],
            rows.map((r) => [
              shortDate(dueInstant(r), o2.timeZone),
              r.plan,
              r.duty,
              truncate(r.unit, 50),
              r.period,
              r.history && r.status === 'open' ? t('obligations.history') : stateInWords(r.status, lang),
            ]),
          ),
        );
        out(`\n${t('obligations.count', { count: rows.length })}`);
        if (rec.emptyGroups.length) out(t('emptyGroups', { groups: rec.emptyGroups.join('; ') }));
      }
    });

  const duties = program.command('duties').description(t('help.duties'));
  duties
    .command('list')
    .description(t('help.dutiesList'))
    .addOption(orgOption())
    .option(t('arg.plan'), t('opt.onePlan'))
    .option('--json', t('opt.json'))
    .action(async (o: { org?: string; plan?: string; json?: boolean }) => {
      const o2 = await org(o.org);
      const rows = await listDuties(ctx.db, o2.id, o.plan);
      if (o.json) {
        out(
          json(
            rows.map((d) => ({
              plan: d.plan.code,
              code: d.code,
              title: d.title,
              timeframe: d.timeframe,
              schedule: d.schedule,
              flags: d.flags,
            })),
          ),
        );
        return;
      }
      const { scheduleFromRow } = await import('#root/services/schedules.js');
      out(
        table(
          [t('col.plan'), t('col.code'), t('col.duty'), t('col.lead'), t('col.schedule'), t('col.flags')],
          rows.map((d) => [
            d.plan.code,
            d.code,
            truncate(d.title, 40),
            truncate(
              d.assignments
                .filter((a) => a.role === 'lead')
                .map((a) => a.unit?.name ?? a.group?.name)
                .join('; '),
              40,
            ),
            d.schedule ? describeSchedule(scheduleFromRow(d.schedule), lang) : '—',
            d.flags.length ? String(d.flags.length) : '',
          ]),
        ),
      );
    });
  duties
    .command(t('cmd.dutiesFix'))
    .description(t('help.dutiesFix'))
    .addOption(orgOption())
    .option(t('arg.plan'), t('opt.dutyPlan'))
    .option(t('arg.timeframe'), t('opt.timeframe'))
    .option(t('arg.title'), t('opt.title'))
    .option('--clear-flags', t('opt.clearFlags'))
    .action(
      async (
        code: string,
        o: { org?: string; plan?: string; timeframe?: string; title?: string; clearFlags?: boolean },
      ) => {
        const o2 = await org(o.org);
        if (o.timeframe === undefined && o.title === undefined && !o.clearFlags) {
          throw new UserError(cliWords('nothingToCorrect'));
        }
        const d = await fixDuty(
          ctx.db,
          o2.id,
          o.plan,
          code,
          {
            ...(o.timeframe !== undefined ? { timeframe: o.timeframe } : {}),
            ...(o.title !== undefined ? { title: o.title } : {}),
            ...(o.clearFlags ? { clearFlags: true } : {}),
          },
          ctx.actor,
        );
        const { scheduleFromRow } = await import('#root/services/schedules.js');
        out(
          `${d.plan.code} ${d.code}: ${d.schedule ? describeSchedule(scheduleFromRow(d.schedule), lang) : '—'}${d.flags.length ? `; ${t('duties.flags', { flags: d.flags.map((x) => oneLanguage(x, lang)).join('; ') })}` : ''}`,
        );
        const rec = sumReconciled(await reconcileCurrent(ctx.db, o2.id, ctx.now(), ctx.actor));
        out(t('reconciled', reconciledCounts(rec)));
      },
    );

  program
    .command('flags')
    .description(t('help.flags'))
    .addOption(orgOption())
    .action(async (o: { org?: string }) => {
      const o2 = await org(o.org);
      const ds = await listDuties(ctx.db, o2.id);
      const units = await listUnits(ctx.db, o2.id);
      let n = 0;
      for (const d of ds) {
        for (const f of d.flags) {
          n++;
          out(`! ${d.plan.code} ${d.code}: ${oneLanguage(f, lang)}`);
        }
      }
      for (const u of units.filter((x) => x.proposed)) {
        n++;
        out(`? ${t(u.kind === 'group' ? 'flags.proposedGroup' : 'flags.proposedUnit', { name: u.name })}`);
      }
      for (const g of units.filter((x) => x.kind === 'group' && (x.members?.length ?? 0) === 0)) {
        n++;
        out(`? ${t('flags.emptyGroup', { name: g.name })}`);
      }
      // Their first escalation goes to the administrators and supervisors instead (planner).
      for (const u of await unitsWithoutHead(ctx.db, o2.id)) {
        n++;
        out(`? ${t('flags.noHead', { name: u.name })}`);
      }
      out(n ? `\n${t('flags.count', { count: n })}` : t('flags.none'));
    });

  const unitsCmd = program.command('units').description(t('help.units'));
  unitsCmd
    .command('list')
    .description(t('help.unitsList'))
    .addOption(orgOption())
    .option('--json', t('opt.json'))
    .action(async (o: { org?: string; json?: boolean }) => {
      const rows = await listUnits(ctx.db, (await org(o.org)).id);
      if (o.json) return out(json(rows));
      out(
        table(
          [t('col.kind'), t('col.name'), t('col.aliases'), t('col.membersContacts'), t('col.proposed')],
          rows.map((u) => [
            t(u.kind === 'group' ? 'kind.group' : 'kind.unit'),
            truncate(u.name, 60),
            truncate(u.aliases.join('; '), 30),
            u.kind === 'group' ? String(u.members?.length ?? 0) : String(u.contacts ?? 0),
            u.proposed ? t('yes') : '',
          ]),
        ),
      );
    });
  unitsCmd
    .command(t('cmd.addName'))
    .description(t('help.unitsAdd'))
    .addOption(orgOption())
    .option(t('arg.alias'), t('opt.alias'), (v: string, acc: string[]) => [...acc, v], [] as string[])
    .action(async (name: string, o: { org?: string; alias: string[] }) => {
      const u = await addUnit(ctx.db, (await org(o.org)).id, name, o.alias, ctx.actor);
      out(t('units.added', { name: u.name }));
    });
  unitsCmd
    .command(t('cmd.unitsAlias'))
    .description(t('help.unitsAlias'))
    .addOption(orgOption())
    .action(async (name: string, alias: string, o: { org?: string }) => {
      const e = await addAlias(ctx.db, (await org(o.org)).id, name, alias, ctx.actor);
      out(`«${alias}» → ${e.name}`);
    });
  unitsCmd
    .command(t('cmd.unitsAccept'))
    .description(t('help.unitsAccept'))
    .addOption(orgOption())
    .action(async (name: string, o: { org?: string }) => {
      const e = await acceptProposed(ctx.db, (await org(o.org)).id, name, ctx.actor);
      out(t('units.accepted', { name: e.name }));
    });
  unitsCmd
    .command(t('cmd.unitsMerge'))
    .description(t('help.unitsMerge'))
    .addOption(orgOption())
    .action(async (from: string, into: string, o: { org?: string }) => {
      const o2 = await org(o.org);
      const r = await mergeUnits(ctx.db, o2.id, from, into, ctx.actor);
      out(t('units.merged', { from: r.from, into: r.into }));
      const rec = sumReconciled(await reconcileCurrent(ctx.db, o2.id, ctx.now(), ctx.actor));
      out(t('reconciled', reconciledCounts(rec)));
    });

  const groups = program.command('groups').description(t('help.groups'));
  groups
    .command(t('cmd.addName'))
    .description(t('help.groupsAdd'))
    .addOption(orgOption())
    .action(async (name: string, o: { org?: string }) => {
      const g = await addGroup(ctx.db, (await org(o.org)).id, name, ctx.actor);
      out(t('groups.added', { name: g.name }));
    });
  groups
    .command(t('cmd.groupsAddMembers'))
    .description(t('help.groupsAddMembers'))
    .addOption(orgOption())
    .action(async (group: string, units: string[], o: { org?: string }) => {
      const o2 = await org(o.org);
      const r = await addMembers(ctx.db, o2.id, group, units, ctx.actor);
      out(`${r.group.name}: + ${r.units.map((u) => u.name).join('; ')}`);
      const rec = sumReconciled(await reconcileCurrent(ctx.db, o2.id, ctx.now(), ctx.actor));
      out(t('reconciled', reconciledCounts(rec)));
    });
  groups
    .command(t('cmd.groupsRemoveMembers'))
    .description(t('help.groupsRemoveMembers'))
    .addOption(orgOption())
    .action(async (group: string, units: string[], o: { org?: string }) => {
      const o2 = await org(o.org);
      const r = await removeMembers(ctx.db, o2.id, group, units, ctx.actor);
      out(`${r.group.name}: − ${r.units.map((u) => u.name).join('; ')}`);
      const rec = sumReconciled(await reconcileCurrent(ctx.db, o2.id, ctx.now(), ctx.actor));
      out(t('reconciled', reconciledCounts(rec)));
    });

  const contacts = program.command('contacts').description(t('help.contacts'));
  /** A contact's role in words ("lãnh đạo", "head"), never its stored name. */
  const roleWords = (role: string) => (isRole(role) ? t(`role.${role}`) : role);
  // The channels as a person names them: by label in Vietnamese (the sandbox is «Hộp thư thử»), by name in English.
  const channelList = CHANNEL_NAMES.map((name) => (lang === 'vi' ? channelLabel(name, lang) : name)).join(', ');
  /** What a typed address may need: the configuration with its signing key (a secret is sealed with it). */
  const addressOptions = async () => ({
    address: { config: { ...ctx.config, SECRET_KEY: await ctx.secretKey() } },
    lang,
  });
  const add = contacts
    .command('add')
    .description(t('help.contactsAdd'))
    .addOption(orgOption())
    .requiredOption(t('arg.unit'), t('opt.contactUnit'))
    .requiredOption(t('arg.name'), t('opt.contactName'))
    .option(t('arg.role'), t('opt.role'), 'contact')
    .option('--locale <vi|en>', t('opt.locale'), 'vi');
  // One flag per channel whose address is typed (--email <địa chỉ>, …): the registry's.
  for (const spec of TYPED)
    add.option(t('arg.address', { channel: spec.name }), t('opt.address', { channel: channelWords(spec.name, lang) }));
  add.option(t('arg.channels'), t('opt.channels', { names: channelList })).action(
    async (
      o: {
        org?: string;
        unit: string;
        name: string;
        role: string;
        locale: string;
        channels?: string;
      } & Record<string, string | undefined>,
    ) => {
      const c = await addContact(
        ctx.db,
        (await org(o.org)).id,
        {
          unit: o.unit,
          name: o.name,
          role: o.role,
          locale: o.locale,
          addresses: Object.fromEntries(TYPED.map((spec) => [spec.name, o[spec.name]])),
          ...(o.channels ? { channels: o.channels.split(',').map((s) => s.trim()) } : {}),
        },
        ctx.actor,
        await addressOptions(),
      );
      out(t('contacts.added', { name: c.name, unit: c.unitName, id: c.id }));
      if (c.reveal) out(`${t('shownOnce')}\n${c.reveal}`);
    },
  );
  contacts
    .command(t('cmd.contactsAddress'))
    .description(t('help.contactsAddress', { names: TYPED.map((spec) => spec.name).join(', ') }))
    .addOption(orgOption())
    .action(async (contact: string, channel: string, address: string | undefined, o: { org?: string }) => {
      const r = await setContactAddress(
        ctx.db,
        (await org(o.org)).id,
        contact,
        channel,
        address ?? '',
        ctx.actor,
        await addressOptions(),
      );
      const shown = channelSpec(r.channel).address?.show(r.contact);
      out(`${r.contact.name} — ${channelLabel(r.channel, lang)}: ${shown ?? `(${t('none')})`}`);
      if (r.reveal) out(`${t('shownOnce')}\n${r.reveal}`);
    });
  contacts
    .command('list')
    .description(t('help.contactsList'))
    .addOption(orgOption())
    .option(t('arg.unit'), t('opt.oneUnit'))
    .option('--unreachable', t('opt.unreachable'))
    .action(async (o: { org?: string; unit?: string; unreachable?: boolean }) => {
      const o2 = await org(o.org);
      const rows = await listContacts(ctx.db, o2.id, o.unit, { unreachable: o.unreachable === true });
      if (o.unreachable && rows.length === 0) {
        out(t('contacts.allReachable'));
        return;
      }
      const state = (c: (typeof rows)[number]) => {
        if (!c.active) return t('contacts.inactive');
        if (c.unreachableSince)
          return t('contacts.unreachableSince', { day: shortDate(c.unreachableSince, o2.timeZone) });
        if (isUnreachable(c)) return t('contacts.allFailed');
        return '';
      };
      out(
        table(
          [
            t('col.id'),
            t('col.name'),
            t('col.unit'),
            t('col.role'),
            t('col.channels'),
            ...LINKED.map((spec) => channelLabel(spec.name, lang)),
            t('col.condition'),
          ],
          rows.map((c) => [
            c.id,
            c.name,
            truncate(c.unit.name, 40),
            roleWords(c.role),
            c.channels
              .map((ch) => (c.disabledChannels.includes(ch) ? `${ch} (${t('contacts.failedMark')})` : ch))
              .join(' → '),
            ...LINKED.map((spec) => (spec.address.has(c) ? t('contacts.linked') : '')),
            state(c),
          ]),
        ),
      );
      const failing = rows.filter((c) => c.channels.some((ch) => c.disabledChannels.includes(ch)));
      if (failing.length) {
        out('');
        out(t('contacts.failedLegend'));
        // What happened to each, and what to do, in words (the channel's own answer stays in the audit log).
        const reasons = await channelFailureReasons(ctx.db, o2.id, failing);
        out('');
        out(t('contacts.failedChannels'));
        for (const c of failing)
          for (const ch of c.channels.filter((x) => c.disabledChannels.includes(x)))
            out(`  ${c.name} — ${channelLabel(ch, lang)}: ${failureInWords(reasons.get(c.id)?.get(ch) ?? '', lang)}`);
      }
      if (o.unreachable) {
        out('');
        out(t('contacts.fixUnreachable'));
      }
    });
  contacts
    .command(t('cmd.contactsChannels'))
    .description(t('help.contactsChannels', { names: channelList }))
    .addOption(orgOption())
    .action(async (contact: string, names: string[], o: { org?: string }) => {
      const c = await setContactChannels(ctx.db, (await org(o.org)).id, contact, names, ctx.actor);
      out(t('contacts.channels', { name: c.name, channels: c.channels.join(' → ') }));
      const unlinked = c.channels.filter((ch) => channelSpec(ch).address?.entry === 'linked' && !reachable(ch, c));
      if (unlinked.length) {
        out(t('contacts.notLinked', { channels: unlinked.join(', '), id: c.id }));
      }
    });

  program
    .command(t('cmd.invite'))
    .description(t('help.invite'))
    .addOption(orgOption())
    .action(async (contact: string, o: { org?: string }) => {
      const o2 = await org(o.org);
      const r = await createInvite(
        ctx.db,
        o2.id,
        contact,
        { ttlHours: ctx.config.INVITE_TTL_HOURS, now: ctx.now(), botUsername: ctx.config.TELEGRAM_BOT_USERNAME },
        ctx.actor,
      );
      out(t('invite.for', { name: r.contact.name, unit: r.contact.unit }));
      if (r.telegramLink) out(`Telegram: ${r.telegramLink}`);
      if (r.telegramGroupLink) out(t('invite.telegramGroup', { link: r.telegramGroupLink }));
      out(t('invite.code', { code: r.code }));
      out(t('invite.zalo', { code: r.code }));
      out(t('invite.expires', { at: dateTime(r.expiresAt, o2.timeZone) }));
    });

  const hol = program.command('holidays').description(t('help.holidays'));
  hol
    .command('list')
    .description(t('help.holidaysList'))
    .addOption(orgOption())
    .addOption(yearOption(t))
    .action(async (o: { org?: string; year?: number }) => {
      const o2 = await org(o.org);
      const rows = await listHolidays(ctx.db, o2.id, yearOf(o, o2));
      out(
        table(
          [t('col.day'), t('col.kind'), t('col.name'), t('col.source')],
          rows.map(
            (d) =>
              [
                d.date.split('-').reverse().join('/'),
                t(d.kind === 'holiday' ? 'holidays.dayOff' : 'holidays.workday'),
                d.name,
                t(d.source === 'law' ? 'holidays.law' : 'holidays.admin'),
              ] as string[],
          ),
        ),
      );
    });
  hol
    .command(t('cmd.holidaysAdd'))
    .description(t('help.holidaysAdd'))
    .addOption(orgOption())
    .option('--workday', t('opt.workday'))
    .action(async (date: string, name: string, o: { org?: string; workday?: boolean }) => {
      const o2 = await org(o.org);
      await setHoliday(ctx.db, o2.id, { date, name, kind: o.workday ? 'workday' : 'holiday' }, ctx.actor);
      out(`${date}: ${t(o.workday ? 'holidays.addedWorkday' : 'holidays.addedDayOff')} — ${name}`);
      // Check-ins fall due on the last working day of their period: a day off can move them.
      await reconcileCurrent(ctx.db, o2.id, ctx.now(), ctx.actor);
    });
  hol
    .command(t('cmd.holidaysRemove'))
    .description(t('help.holidaysRemove'))
    .addOption(orgOption())
    .action(async (date: string, o: { org?: string }) => {
      const o2 = await org(o.org);
      const removed = await removeHoliday(ctx.db, o2.id, date, ctx.actor);
      out(t(removed ? 'holidays.removed' : 'holidays.noEntry', { date }));
      if (removed) await reconcileCurrent(ctx.db, o2.id, ctx.now(), ctx.actor);
    });

  program
    .command('status')
    .description(t('help.status'))
    .addOption(orgOption())
    .addOption(yearOption(t))
    .action(async (o: { org?: string; year?: number }) => {
      const o2 = await org(o.org);
      const rows = await statusByUnit(ctx.db, o2.id, yearOf(o, o2), ctx.now());
      out(
        table(
          [t('col.unit'), t('col.total'), t('col.done'), t('col.waived'), t('col.open'), t('col.overdue')],
          rows.map((r) => [truncate(r.unit, 60), r.total, r.done, r.waived, r.open, r.overdue]),
        ),
      );
      out(`\n${t('status.asOf', { at: dateTime(ctx.now(), o2.timeZone) })}`);
    });

  program
    .command('report')
    .description(t('help.report'))
    .addOption(orgOption())
    .addOption(yearOption(t))
    .option(t('arg.plan'), t('opt.onePlan'))
    .option(t('arg.unit'), t('opt.unitReport'))
    .requiredOption(t('arg.out'), t('opt.out'))
    .action(async (o: { org?: string; year?: number; plan?: string; unit?: string; out: string }) => {
      const o2 = await org(o.org);
      const unit = o.unit ? await findUnit(ctx.db, o2.id, o.unit) : null;
      const data = await reportData(ctx.db, o2.id, {
        year: yearOf(o, o2),
        now: ctx.now(),
        planCode: o.plan,
        unitId: unit?.id,
      });
      const file = reportDocx(data);
      try {
        await writeFile(o.out, file);
      } catch {
        throw new UserError(cliWords('fileUnwritable', { out: o.out }));
      }
      const totals = data.totals;
      out(
        t('report.written', {
          file: o.out,
          kb: Math.ceil(file.length / 1024),
          year: data.year,
          total: totals.total,
          done: totals.done,
          overdue: totals.overdue,
          duties: data.duties.length,
          indicators: data.unit ? data.unitIndicators.length : data.indicators.length,
        }),
      );
      if (!totals.total) out(t('report.noData', { year: data.year }));
    });

  program
    .command('reconcile')
    .description(t('help.reconcile'))
    .addOption(orgOption())
    .option(t('arg.year'), t('opt.anotherYear'), yearArg)
    .action(async (o: { org?: string; year?: number }) => {
      const o2 = await org(o.org);
      const rec =
        o.year === undefined
          ? sumReconciled(await reconcileCurrent(ctx.db, o2.id, ctx.now(), ctx.actor))
          : await reconcileObligations(ctx.db, o2.id, yearWindow(o.year), ctx.now(), ctx.actor);
      const counts = reconciledCounts(rec);
      out(o.year === undefined ? t('reconciled', counts) : t('reconciledYear', { year: o.year, ...counts }));
      if (rec.emptyGroups.length) out(t('emptyGroups', { groups: rec.emptyGroups.join('; ') }));
    });

  addReminderCommands(program, ctx, out);
  addAdminCommands(program, ctx, out);
  void isoDate;
  return program;
}
