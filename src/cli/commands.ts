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
import { UserError } from '#root/errors/index.js';
import { describeSchedule } from '#root/domain/wording.js';
import { isTimeZone, isYearlyDue } from '#root/domain/org-settings.js';
import type { CliContext } from './context.js';
import { dateTime, shortDate, table, truncate } from '#root/lib/format.js';
import { addAdminCommands } from './admin-commands.js';
import { addReminderCommands } from './reminder-commands.js';
import { serviceWords } from '#root/messages/service-words.js';

const cliWords = serviceWords('cli');

/** Kept for callers that imported it from here; it lives in src/domain/wording.ts now. */
export { describeSchedule };

type Out = (text: string) => void;

const json = (value: unknown) =>
  JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);

/** `--year`; without it, the current year in the organisation's zone (see `yearOf`). */
const yearOption = () =>
  new Option('--year <năm>', 'năm (mặc định: năm nay) / year (default: this year)').argParser((v) => {
    const y = Number(v);
    if (!Number.isInteger(y) || y < 2000 || y > 2100) throw new UserError(cliWords('invalidYear', { year: v }));
    return y;
  });

function printReview(review: ImportReview, out: Out) {
  const p = review.plan;
  out(`Kế hoạch / plan: ${p.code}${p.issuedOn ? ` ngày ${p.issuedOn.split('-').reverse().join('/')}` : ''}`);
  if (p.title) out(`  ${p.title}`);
  const from = {
    text: 'theo văn bản / from the text',
    given: 'theo --horizon / from --horizon',
    existing: 'của kế hoạch đã nhập / of the plan as imported',
    none: 'văn bản không ghi; đặt bằng --horizon <năm> / none in the text; set it with --horizon <year>',
  }[review.horizonFrom];
  out(`Năm kết thúc / horizon: ${p.horizonYear ?? 'không có / none'} (${from})`);
  const trackFrom = {
    given: 'theo --track-from / from --track-from',
    existing: 'của kế hoạch đã nhập / of the plan as imported',
    default:
      'mặc định: kỳ hiện tại của mỗi nhiệm vụ; đổi bằng --track-from <ngày> hoặc --track-from all / default: the current period of each duty',
  }[review.trackFromFrom];
  out(
    review.trackFrom
      ? `Theo dõi từ / tracked from: ${review.trackFrom.split('-').reverse().join('/')} (${trackFrom}); các kỳ kết thúc trước ngày này là lịch sử: không nhắc, không tính quá hạn / earlier periods are history`
      : `Theo dõi / tracked: mọi kỳ, kể cả đã qua / every period, the past included (${trackFrom})`,
  );
  out(`Định dạng / format: ${review.format}; ${review.duties.length} nhiệm vụ / duties`);
  out('');
  out(
    table(
      ['TT', 'Nhiệm vụ', 'Chủ trì', 'Phối hợp', 'Thời gian', 'Lịch'],
      review.duties.map((d) => [
        d.code,
        truncate(d.title, 40),
        truncate(d.leads.join('; ') || '—', 40),
        String(d.cooperating.length),
        truncate(d.timeframe, 20),
        describeSchedule(d.schedule),
      ]),
    ),
  );
  const flagged = review.duties.filter((d) => dutyFlags(d).length);
  if (flagged.length || review.flags.length) {
    out('');
    out('Cần xem lại / to review:');
    for (const f of review.flags) out(`  ! ${f}`);
    for (const d of flagged) for (const f of dutyFlags(d)) out(`  ! ${d.code} (${d.where}): ${f}`);
  }
  const conflicts = review.duties.flatMap((d) => (d.conflicts ?? []).map((c) => ({ code: d.code, c })));
  const kept = review.duties.filter((d) => d.kept?.length);
  if (kept.length) {
    out('');
    out(
      `Giữ bản quản trị viên đã sửa (văn bản không đổi ở các ô này) / the administrator's fixes kept (${kept.length}): ${kept.map((d) => d.code).join(', ')}`,
    );
  }
  if (conflicts.length) {
    out('');
    out(
      `Văn bản đã đổi ở ô quản trị viên đã sửa (${conflicts.length}); mặc định giữ bản của quản trị viên, lấy theo văn bản bằng --take-document <TT> hoặc <TT>:title / <TT>:timeframe:`,
    );
    for (const { code, c } of conflicts) out(`  ? ${conflictInWords(code, c)}`);
  }
  if (review.indicators?.length) {
    out('');
    out(`Chỉ tiêu / indicators (${review.indicators.length}):`);
    for (const i of review.indicators)
      out(
        `  ${i.code}. ${truncate(i.title, 70)} — ${Object.entries(i.targets)
          .map(([y, v]) => `${y}: ${v}${i.unit === '%' ? '%' : i.unit ? ` ${i.unit}` : ''}`)
          .join(', ')}`,
      );
  }
  if (review.newNames.length) {
    out('');
    out(
      `Tên chưa có trong danh mục, sẽ được tạo và đánh dấu để xem lại / new names, created as proposed (${review.newNames.length}):`,
    );
    for (const n of review.newNames) out(`  + ${n.kind === 'group' ? 'nhóm' : 'đơn vị'}: ${n.name}`);
  }
}

export function buildProgram(ctx: CliContext, out: Out): Command {
  const program = new Command('dondoc')
    .description('Đôn đốc: nhắc hạn nhiệm vụ cho cơ quan nhà nước — deadline reminders for public agencies')
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => out(s.trimEnd()) });
  const org = async (code: string | undefined) => getOrganisation(ctx.db, code ?? ctx.config.DEFAULT_ORG);
  // The year asked for, else this year where the organisation is (from 17:00 UTC on 31/12 it is
  // already the next year in Hanoi).
  const yearOf = (o: { year?: number }, organisation: { timeZone: string }) =>
    o.year ?? zonedYear(ctx.now(), organisation.timeZone);
  const orgOption = () => new Option('--org <mã>', 'mã tổ chức / organisation code (DEFAULT_ORG)');

  const db = program.command('db').description('cơ sở dữ liệu / database');
  db.command('migrate')
    .description('tạo cơ sở dữ liệu nếu chưa có và áp dụng migration / create the database and apply migrations')
    .action(async () => {
      const created = await ensureDatabase(ctx.config.DATABASE_URL);
      const r = await migrate(ctx.config.DATABASE_URL);
      if (created) out('Đã tạo cơ sở dữ liệu / database created');
      out(
        r.applied.length
          ? `Đã áp dụng / applied: ${r.applied.join(', ')}`
          : 'Không có migration mới / nothing to apply',
      );
    });

  const orgCmd = program.command('org').description('tổ chức (tỉnh, thành phố) / organisations');
  orgCmd
    .command('create <code>')
    .requiredOption('--name <tên>', 'tên / name')
    .option('--tz <zone>', 'múi giờ IANA / IANA time zone', ctx.config.DEFAULT_TIME_ZONE)
    .option(
      '--yearly-due <MM-DD>',
      'hạn báo cáo hằng năm (02-29: năm không nhuận là 28/02) / yearly due day (02-29: 28/02 outside leap years)',
      '11-15',
    )
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
        `${r.org.code}: ${r.org.name} (${r.org.timeZone}, ${r.org.yearlyDue})${r.created ? '' : ' — đã có, không đổi gì / already exists, unchanged'}`,
      );
    });
  orgCmd
    .command('set <code>')
    .description(
      'đổi tên, múi giờ hoặc hạn hằng năm của tổ chức (có ghi nhật ký) / change an organisation’s name, time zone or yearly due day (audited)',
    )
    .option('--name <tên>', 'tên / name')
    .option('--tz <zone>', 'múi giờ IANA / IANA time zone')
    .option('--yearly-due <MM-DD>', 'hạn báo cáo hằng năm / yearly due day')
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
        `${r.org.code}: ${r.org.name} (${r.org.timeZone}, ${r.org.yearlyDue})${r.changed.length ? '' : ' — không có gì thay đổi / nothing changed'}`,
      );
    });
  orgCmd.command('list').action(async () => {
    const rows = await ctx.db.organisation.findMany({ orderBy: { code: 'asc' } });
    // A value stored before values were checked is named, with the way to repair it.
    const bad = (ok: boolean, v: string) => (ok ? v : `${v} (KHÔNG HỢP LỆ / INVALID)`);
    out(
      table(
        ['Mã', 'Tên', 'Múi giờ', 'Hạn hằng năm'],
        rows.map((r) => [
          r.code,
          r.name,
          bad(isTimeZone(r.timeZone), r.timeZone),
          bad(isYearlyDue(r.yearlyDue), r.yearlyDue),
        ]),
      ),
    );
    if (rows.some((r) => !isTimeZone(r.timeZone) || !isYearlyDue(r.yearlyDue))) {
      out('\nSửa / fix: dondoc org set <mã> --tz Asia/Ho_Chi_Minh --yearly-due 11-15');
    }
  });

  program
    .command('import <file>')
    .description('nhập kế hoạch từ CSV, XLSX, văn bản dán từ Word/Excel hoặc toàn văn kế hoạch / import a plan')
    .addOption(orgOption())
    .option('--plan <số hiệu>', 'số hiệu kế hoạch nếu tệp không ghi / plan code when the file has none')
    .option(
      '--horizon <năm>',
      'năm kết thúc kế hoạch, thay cho năm đọc được trong văn bản; "" nếu không có / the plan\'s last year, instead of the text\'s; "" for none',
    )
    .option(
      '--track-from <ngày>',
      'theo dõi từ ngày này (YYYY-MM-DD hoặc DD/MM/YYYY; «all» để theo dõi mọi kỳ, kể cả đã qua); mặc định: kỳ hiện tại của mỗi nhiệm vụ / track from this day ("all" for every period); default: the current period',
    )
    .option(
      '--take-document <TT...>',
      "lấy theo văn bản ở các nhiệm vụ quản trị viên đã sửa mà văn bản nay ghi khác (4.2, hoặc 4.2:title, 4.2:timeframe) / take the document's value where it contradicts an administrator's fix",
    )
    .option('--dry-run', 'chỉ xem, không ghi / review only, write nothing')
    .option('--json', 'in JSON / print JSON')
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
        printReview(review, out);
        if (o.dryRun) {
          out('\n(--dry-run: chưa ghi gì / nothing written)');
          return;
        }
        const r = await commitImport(ctx.db, o2.id, review, ctx.actor);
        out(
          `\nĐã lưu / saved: ${r.created} mới / new, ${r.updated} cập nhật / updated, ${r.unchanged} không đổi / unchanged, ${r.retired} ngừng / retired.`,
        );
        const ind = r.indicators;
        if (ind.created + ind.updated + ind.unchanged + ind.retired)
          out(
            `Chỉ tiêu / indicators: ${ind.created} mới / new, ${ind.updated} cập nhật / updated, ${ind.unchanged} không đổi / unchanged, ${ind.retired} ngừng / retired.`,
          );
        const rec = sumReconciled(await reconcileCurrent(ctx.db, o2.id, ctx.now(), ctx.actor));
        out(
          `Nghĩa vụ năm nay và năm sau / this and next year's obligations: ${rec.created} mới / new, ${rec.updated} cập nhật / updated, ${rec.retired} ngừng / retired.`,
        );
        if (rec.emptyGroups.length) {
          out(
            `Nhóm chưa có thành viên (chưa ai phải thực hiện) / groups without members: ${rec.emptyGroups.join('; ')}`,
          );
          out('  Thêm thành viên / add members: dondoc groups add-members "<nhóm>" "<đơn vị>" …');
        }
      },
    );

  program
    .command('obligations')
    .description('các nghĩa vụ (nhiệm vụ × kỳ × đơn vị) của một năm / obligations of a year')
    .addOption(orgOption())
    .addOption(yearOption())
    .option('--unit <tên>', 'chỉ một đơn vị / one unit only')
    .option('--json', 'in JSON / print JSON')
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
            ['Hạn', 'KH', 'TT', 'Đơn vị', 'Kỳ', 'Trạng thái'],
            rows.map((r) => [
              shortDate(dueInstant(r), o2.timeZone),
              r.plan,
              r.duty,
              truncate(r.unit, 50),
              r.period,
              r.history && r.status === 'open' ? 'lịch sử (trước khi theo dõi) / history' : r.status,
            ]),
          ),
        );
        out(`\n${rows.length} nghĩa vụ / obligations`);
        if (rec.emptyGroups.length)
          out(`Nhóm chưa có thành viên / groups without members: ${rec.emptyGroups.join('; ')}`);
      }
    });

  const duties = program.command('duties').description('nhiệm vụ / duties');
  duties
    .command('list')
    .addOption(orgOption())
    .option('--plan <số hiệu>')
    .option('--json')
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
          ['KH', 'TT', 'Nhiệm vụ', 'Chủ trì', 'Lịch', 'Cờ'],
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
            d.schedule ? describeSchedule(scheduleFromRow(d.schedule)) : '—',
            d.flags.length ? String(d.flags.length) : '',
          ]),
        ),
      );
    });
  duties
    .command('fix <code>')
    .description('sửa điều nhập đã đánh dấu / fix what an import flagged')
    .addOption(orgOption())
    .option('--plan <số hiệu>')
    .option('--timeframe <cụm từ>', 'thời gian thực hiện mới, ví dụ "Hàng năm" / new timeframe phrase')
    .option('--title <tên>')
    .option('--clear-flags', 'xóa các cờ đã xem xét / clear reviewed flags')
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
          `${d.plan.code} ${d.code}: ${d.schedule ? describeSchedule(scheduleFromRow(d.schedule)) : '—'}${d.flags.length ? `; cờ / flags: ${d.flags.join('; ')}` : ''}`,
        );
        const rec = sumReconciled(await reconcileCurrent(ctx.db, o2.id, ctx.now(), ctx.actor));
        out(
          `Nghĩa vụ năm nay và năm sau / this and next year's obligations: ${rec.created} mới, ${rec.updated} cập nhật, ${rec.retired} ngừng.`,
        );
      },
    );

  program
    .command('flags')
    .description('mọi điều cần xem lại / everything to review')
    .addOption(orgOption())
    .action(async (o: { org?: string }) => {
      const o2 = await org(o.org);
      const ds = await listDuties(ctx.db, o2.id);
      const units = await listUnits(ctx.db, o2.id);
      let n = 0;
      for (const d of ds) {
        for (const f of d.flags) {
          n++;
          out(`! ${d.plan.code} ${d.code}: ${f}`);
        }
      }
      for (const u of units.filter((x) => x.proposed)) {
        n++;
        out(
          `? ${u.kind === 'group' ? 'nhóm' : 'đơn vị'} đề xuất / proposed ${u.kind}: ${u.name}  → dondoc units accept "${u.name}" | dondoc units merge "${u.name}" "<tên đúng>"`,
        );
      }
      for (const g of units.filter((x) => x.kind === 'group' && (x.members?.length ?? 0) === 0)) {
        n++;
        out(
          `? nhóm chưa có thành viên / group without members: ${g.name}  → dondoc groups add-members "${g.name}" "<đơn vị>"`,
        );
      }
      // Their first escalation goes to the administrators and supervisors instead (planner).
      for (const u of await unitsWithoutHead(ctx.db, o2.id)) {
        n++;
        out(
          `? đơn vị chưa có lãnh đạo nhận chuyển cấp / unit without a head for escalations: ${u.name}  → dondoc contacts add --unit "${u.name}" --name "<tên>" --role head`,
        );
      }
      out(n ? `\n${n} mục cần xem lại / items to review` : 'Không có gì cần xem lại / nothing to review');
    });

  const unitsCmd = program.command('units').description('đơn vị / units');
  unitsCmd
    .command('list')
    .addOption(orgOption())
    .option('--json')
    .action(async (o: { org?: string; json?: boolean }) => {
      const rows = await listUnits(ctx.db, (await org(o.org)).id);
      if (o.json) return out(json(rows));
      out(
        table(
          ['Loại', 'Tên', 'Tên khác', 'Thành viên/Đầu mối', 'Đề xuất'],
          rows.map((u) => [
            u.kind === 'group' ? 'nhóm' : 'đơn vị',
            truncate(u.name, 60),
            truncate(u.aliases.join('; '), 30),
            u.kind === 'group' ? String(u.members?.length ?? 0) : String(u.contacts ?? 0),
            u.proposed ? 'có' : '',
          ]),
        ),
      );
    });
  unitsCmd
    .command('add <name>')
    .addOption(orgOption())
    .option(
      '--alias <tên>',
      'tên khác, lặp lại được / another name, repeatable',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .action(async (name: string, o: { org?: string; alias: string[] }) => {
      const u = await addUnit(ctx.db, (await org(o.org)).id, name, o.alias, ctx.actor);
      out(`Đã thêm đơn vị / unit added: ${u.name}`);
    });
  unitsCmd
    .command('alias <name> <alias>')
    .description('thêm tên khác cho đơn vị hoặc nhóm / add another name')
    .addOption(orgOption())
    .action(async (name: string, alias: string, o: { org?: string }) => {
      const e = await addAlias(ctx.db, (await org(o.org)).id, name, alias, ctx.actor);
      out(`«${alias}» → ${e.name}`);
    });
  unitsCmd
    .command('accept <name>')
    .description('xác nhận đơn vị/nhóm do lần nhập đề xuất / accept a proposed unit or group')
    .addOption(orgOption())
    .action(async (name: string, o: { org?: string }) => {
      const e = await acceptProposed(ctx.db, (await org(o.org)).id, name, ctx.actor);
      out(`Đã xác nhận / accepted: ${e.name}`);
    });
  unitsCmd
    .command('merge <from> <into>')
    .description('gộp một đơn vị vào đơn vị khác / merge a unit into another')
    .addOption(orgOption())
    .action(async (from: string, into: string, o: { org?: string }) => {
      const o2 = await org(o.org);
      const r = await mergeUnits(ctx.db, o2.id, from, into, ctx.actor);
      out(`Đã gộp «${r.from}» vào «${r.into}» / merged`);
      const rec = sumReconciled(await reconcileCurrent(ctx.db, o2.id, ctx.now(), ctx.actor));
      out(
        `Nghĩa vụ năm nay và năm sau / this and next year's obligations: ${rec.created} mới, ${rec.updated} cập nhật, ${rec.retired} ngừng.`,
      );
    });

  const groups = program.command('groups').description('nhóm đơn vị / unit groups');
  groups
    .command('add <name>')
    .addOption(orgOption())
    .action(async (name: string, o: { org?: string }) => {
      const g = await addGroup(ctx.db, (await org(o.org)).id, name, ctx.actor);
      out(`Đã thêm nhóm / group added: ${g.name}`);
    });
  groups
    .command('add-members <group> <units...>')
    .addOption(orgOption())
    .action(async (group: string, units: string[], o: { org?: string }) => {
      const o2 = await org(o.org);
      const r = await addMembers(ctx.db, o2.id, group, units, ctx.actor);
      out(`${r.group.name}: + ${r.units.map((u) => u.name).join('; ')}`);
      const rec = sumReconciled(await reconcileCurrent(ctx.db, o2.id, ctx.now(), ctx.actor));
      out(
        `Nghĩa vụ năm nay và năm sau / this and next year's obligations: ${rec.created} mới, ${rec.updated} cập nhật, ${rec.retired} ngừng.`,
      );
    });
  groups
    .command('remove-members <group> <units...>')
    .addOption(orgOption())
    .action(async (group: string, units: string[], o: { org?: string }) => {
      const o2 = await org(o.org);
      const r = await removeMembers(ctx.db, o2.id, group, units, ctx.actor);
      out(`${r.group.name}: − ${r.units.map((u) => u.name).join('; ')}`);
      const rec = sumReconciled(await reconcileCurrent(ctx.db, o2.id, ctx.now(), ctx.actor));
      out(
        `Nghĩa vụ năm nay và năm sau / this and next year's obligations: ${rec.created} mới, ${rec.updated} cập nhật, ${rec.retired} ngừng.`,
      );
    });

  const contacts = program.command('contacts').description('đầu mối / contacts');
  /** What a typed address may need: the configuration with its signing key (a secret is sealed with it). */
  const addressOptions = async () => ({
    address: { config: { ...ctx.config, SECRET_KEY: await ctx.secretKey() } },
    lang: 'vi' as const,
  });
  const add = contacts
    .command('add')
    .addOption(orgOption())
    .requiredOption('--unit <đơn vị>')
    .requiredOption('--name <tên>')
    .option('--role <vai trò>', 'contact | head | supervisor | admin', 'contact')
    .option('--locale <vi|en>', 'ngôn ngữ / language', 'vi');
  // One flag per channel whose address is typed (--email <địa chỉ>, …): the registry's.
  for (const spec of TYPED)
    add.option(
      `--${spec.name} <địa chỉ>`,
      `địa chỉ ${channelWords(spec.name, 'vi')} / ${channelWords(spec.name, 'en')} address`,
    );
  add.option('--channels <kênh,…>', `thứ tự ưu tiên / preference order: ${CHANNEL_NAMES.join(',')}`).action(
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
      out(`Đã thêm / added: ${c.name} (${c.unitName}), id ${c.id}`);
      if (c.reveal) out(`Chỉ hiện một lần / shown only once:\n${c.reveal}`);
    },
  );
  contacts
    .command('address <contact> <kênh> [địa-chỉ]')
    .description(
      `đặt, đổi hoặc (bỏ trống) xóa địa chỉ nhập tay của đầu mối / set, change or (left out) remove a contact's typed address: ${TYPED.map((spec) => spec.name).join(', ')}`,
    )
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
      out(`${r.contact.name} — ${channelLabel(r.channel, 'vi')}: ${shown ?? '(không có / none)'}`);
      if (r.reveal) out(`Chỉ hiện một lần / shown only once:\n${r.reveal}`);
    });
  contacts
    .command('list')
    .description(
      'đầu mối, kênh (kênh lỗi được đánh dấu), liên kết Telegram/Zalo / contacts, their channels and chat links',
    )
    .addOption(orgOption())
    .option('--unit <đơn vị>')
    .option('--unreachable', 'chỉ những người không còn kênh nào gửi được / only contacts with no working channel')
    .action(async (o: { org?: string; unit?: string; unreachable?: boolean }) => {
      const o2 = await org(o.org);
      const rows = await listContacts(ctx.db, o2.id, o.unit, { unreachable: o.unreachable === true });
      if (o.unreachable && rows.length === 0) {
        out('Không có đầu mối nào mất liên lạc. / Every active contact has a working channel.');
        return;
      }
      const state = (c: (typeof rows)[number]) => {
        if (!c.active) return 'ngừng / inactive';
        if (c.unreachableSince) return `không liên lạc được từ ${shortDate(c.unreachableSince, o2.timeZone)}`;
        if (isUnreachable(c)) return 'mọi kênh đều lỗi';
        return '';
      };
      out(
        table(
          [
            'id',
            'Tên',
            'Đơn vị',
            'Vai trò',
            'Kênh',
            ...LINKED.map((spec) => channelLabel(spec.name, 'vi')),
            'Tình trạng',
          ],
          rows.map((c) => [
            c.id,
            c.name,
            truncate(c.unit.name, 40),
            c.role,
            c.channels.map((ch) => (c.disabledChannels.includes(ch) ? `${ch} (lỗi)` : ch)).join(' → '),
            ...LINKED.map((spec) => (spec.address.has(c) ? 'đã liên kết' : '')),
            state(c),
          ]),
        ),
      );
      const failing = rows.filter((c) => c.channels.some((ch) => c.disabledChannels.includes(ch)));
      if (failing.length) {
        out('');
        out(
          '(lỗi): kênh đã lỗi hẳn (bị chặn, địa chỉ sai), không dùng cho đến khi được chọn lại / a failed channel, unused until chosen again',
        );
        // What happened to each, and what to do, in words (the channel's own answer stays in the audit log).
        const reasons = await channelFailureReasons(ctx.db, o2.id, failing);
        out('');
        out('Kênh lỗi / Failed channels:');
        for (const c of failing)
          for (const ch of c.channels.filter((x) => c.disabledChannels.includes(x)))
            out(`  ${c.name} — ${channelLabel(ch, 'vi')}: ${failureInWords(reasons.get(c.id)?.get(ch) ?? '', 'vi')}`);
      }
      if (o.unreachable) {
        out('');
        out(
          'Sửa: dondoc contacts channels <đầu mối> <kênh…>, hoặc dondoc invite <đầu mối> để liên kết lại Telegram/Zalo.',
        );
        out('Fix: set working channels, or send a new invite to link Telegram or Zalo again.');
      }
    });
  contacts
    .command('channels <contact> <kênh...>')
    .description(
      'thứ tự kênh nhận nhắc, kênh đầu tiên trước; chọn lại một kênh lỗi để dùng lại / a contact’s channels, first first (id or name): telegram, zalo, email, sandbox',
    )
    .addOption(orgOption())
    .action(async (contact: string, names: string[], o: { org?: string }) => {
      const c = await setContactChannels(ctx.db, (await org(o.org)).id, contact, names, ctx.actor);
      out(`Thứ tự kênh / channels of ${c.name}: ${c.channels.join(' → ')}`);
      const unlinked = c.channels.filter((ch) => channelSpec(ch).address?.entry === 'linked' && !reachable(ch, c));
      if (unlinked.length) {
        out(
          `Chưa liên kết / not linked yet: ${unlinked.join(', ')} — gửi mã mời / send an invite: dondoc invite ${c.id}`,
        );
      }
    });

  program
    .command('invite <contact>')
    .description('tạo mã mời dùng một lần để liên kết Telegram/Zalo / single-use invite for a contact (id or name)')
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
      out(`Mời / invite: ${r.contact.name} (${r.contact.unit})`);
      if (r.telegramLink) out(`Telegram: ${r.telegramLink}`);
      if (r.telegramGroupLink) out(`Telegram (nhóm của đơn vị / the unit's group): ${r.telegramGroupLink}`);
      out(`Mã / code: ${r.code}  — gửi cho bot / send to the bot: /start ${r.code}`);
      out(
        `Zalo: gửi /start ${r.code} cho bot Zalo (nhắn riêng) / send /start ${r.code} to the Zalo bot in a private chat`,
      );
      out(`Hết hạn / expires: ${dateTime(r.expiresAt, o2.timeZone)}`);
    });

  const hol = program
    .command('holidays')
    .description('ngày nghỉ và ngày làm bù / holidays and substitute working days');
  hol
    .command('list')
    .addOption(orgOption())
    .addOption(yearOption())
    .action(async (o: { org?: string; year?: number }) => {
      const o2 = await org(o.org);
      const rows = await listHolidays(ctx.db, o2.id, yearOf(o, o2));
      out(
        table(
          ['Ngày', 'Loại', 'Tên', 'Nguồn'],
          rows.map(
            (d) =>
              [
                d.date.split('-').reverse().join('/'),
                d.kind === 'holiday' ? 'nghỉ' : 'làm bù',
                d.name,
                d.source === 'law' ? 'luật' : 'quản trị',
              ] as string[],
          ),
        ),
      );
    });
  hol
    .command('add <date> <name>')
    .description(
      'ngày nghỉ (hoặc --workday: ngày làm bù) theo thông báo của Chính phủ / a day off, or a working day with --workday',
    )
    .addOption(orgOption())
    .option('--workday', 'ngày làm việc (ví dụ thứ Bảy làm bù) / a working day')
    .action(async (date: string, name: string, o: { org?: string; workday?: boolean }) => {
      const o2 = await org(o.org);
      await setHoliday(ctx.db, o2.id, { date, name, kind: o.workday ? 'workday' : 'holiday' }, ctx.actor);
      out(`${date}: ${o.workday ? 'ngày làm việc / working day' : 'ngày nghỉ / day off'} — ${name}`);
      // Check-ins fall due on the last working day of their period: a day off can move them.
      await reconcileCurrent(ctx.db, o2.id, ctx.now(), ctx.actor);
    });
  hol
    .command('remove <date>')
    .addOption(orgOption())
    .action(async (date: string, o: { org?: string }) => {
      const o2 = await org(o.org);
      const removed = await removeHoliday(ctx.db, o2.id, date, ctx.actor);
      out(removed ? `Đã xóa / removed ${date}` : `Không có mục nào ngày ${date} / no entry on ${date}`);
      if (removed) await reconcileCurrent(ctx.db, o2.id, ctx.now(), ctx.actor);
    });

  program
    .command('status')
    .description('ai đang trễ hạn, theo đơn vị / who is late, per unit')
    .addOption(orgOption())
    .addOption(yearOption())
    .action(async (o: { org?: string; year?: number }) => {
      const o2 = await org(o.org);
      const rows = await statusByUnit(ctx.db, o2.id, yearOf(o, o2), ctx.now());
      out(
        table(
          ['Đơn vị', 'Tổng', 'Xong', 'Miễn', 'Đang mở', 'Quá hạn'],
          rows.map((r) => [truncate(r.unit, 60), r.total, r.done, r.waived, r.open, r.overdue]),
        ),
      );
      out(`\nTính đến / as of ${dateTime(ctx.now(), o2.timeZone)}`);
    });

  program
    .command('report')
    .description(
      'soạn dự thảo báo cáo kết quả thực hiện kế hoạch năm (Word, theo Nghị định 30/2020) / draft the yearly report as a Word file',
    )
    .addOption(orgOption())
    .addOption(yearOption())
    .option('--plan <số hiệu>', 'chỉ một kế hoạch / one plan only')
    .option('--unit <tên>', "báo cáo riêng của một đơn vị / a unit's own report")
    .requiredOption('--out <tệp.docx>', 'tệp ghi ra / the file to write')
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
      const t = data.totals;
      out(
        `Đã ghi / written: ${o.out} (${Math.ceil(file.length / 1024)} KB) — năm ${data.year}: ${t.total} lượt nhiệm vụ, ${t.done} hoàn thành, ${t.overdue} quá hạn; ${data.duties.length} nhiệm vụ, ${data.unit ? data.unitIndicators.length : data.indicators.length} chỉ tiêu.`,
      );
      if (!t.total)
        out(
          `Năm ${data.year} chưa có số liệu: báo cáo ghi rõ là chưa có / no data for ${data.year}: the report says so.`,
        );
    });

  program
    .command('reconcile')
    .description(
      'cập nhật nghĩa vụ theo lịch, phân công và nhóm hiện tại (việc hằng giờ làm cho năm nay và năm sau) / bring obligations in line with schedules now (the hourly job does this year and the next)',
    )
    .addOption(orgOption())
    .option('--year <năm>', 'một năm khác / another year', (v: string) => {
      const y = Number(v);
      if (!Number.isInteger(y) || y < 2000 || y > 2100) throw new UserError(cliWords('invalidYear', { year: v }));
      return y;
    })
    .action(async (o: { org?: string; year?: number }) => {
      const o2 = await org(o.org);
      const rec =
        o.year === undefined
          ? sumReconciled(await reconcileCurrent(ctx.db, o2.id, ctx.now(), ctx.actor))
          : await reconcileObligations(ctx.db, o2.id, yearWindow(o.year), ctx.now(), ctx.actor);
      out(
        `${o.year ?? 'Năm nay và năm sau / this and next year'}: ${rec.created} mới / new, ${rec.updated} cập nhật / updated, ${rec.retired} ngừng / retired.`,
      );
      if (rec.emptyGroups.length)
        out(`Nhóm chưa có thành viên / groups without members: ${rec.emptyGroups.join('; ')}`);
    });

  addReminderCommands(program, ctx, out);
  addAdminCommands(program, ctx, out);
  void isoDate;
  return program;
}
