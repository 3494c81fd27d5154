import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { dispatchDue } from '#jobs/dispatch.js';
import { UserError } from '#root/errors/index.js';
import { loadTemplates, TEMPLATES_DIR } from '#root/messages/templates.js';
import { seedDemo } from '#root/services/demo.js';
import { nudge } from '#root/services/nudge.js';
import { getOrganisation } from '#root/services/orgs.js';
import { answerOutbox, getOutboxMessage, listOutbox } from '#root/services/outbox.js';
import { isoDay, PREVIEW_DEFAULT_DAYS, previewReminders } from '#root/services/preview.js';
import { zonedDay } from '#root/domain/zoned-day.js';
import { addDays } from '#root/domain/working-days.js';
import { shortDate } from '#root/domain/wording.js';
import { listPolicies, setPolicy } from '#root/services/policies.js';
import { checkTemplateFiles } from '#root/services/templates.js';
import { findUnit } from '#root/services/units.js';
import type { CliContext } from './context.js';
import { dateTime, table, truncate } from '#root/lib/format.js';
import { serviceWords } from '#root/messages/service-words.js';

const cliWords = serviceWords('cli');

type Out = (text: string) => void;

/** The reminders' commands: preview, nudge, the sandbox outbox, policies, the demo. */
export function addReminderCommands(program: Command, ctx: CliContext, out: Out): void {
  const org = async (code: string | undefined) => getOrganisation(ctx.db, code ?? ctx.config.DEFAULT_ORG);
  const json = (v: unknown) => JSON.stringify(v, null, 2);

  program
    .command('preview')
    .description(
      `mọi nhắc nhở cấu hình hiện tại sẽ gửi trong khoảng ngày (mặc định: hôm nay và ${PREVIEW_DEFAULT_DAYS - 1} ngày sau), không gửi gì, không ghi gì / every reminder that will be sent (default: today and the next ${PREVIEW_DEFAULT_DAYS - 1} days), sending and writing nothing`,
    )
    .option('--org <mã>')
    .option('--from <YYYY-MM-DD>', 'ngày đầu, mặc định hôm nay / first day, default today')
    .option(
      '--to <YYYY-MM-DD>',
      `ngày cuối, mặc định ${PREVIEW_DEFAULT_DAYS - 1} ngày sau ngày đầu / last day, default ${PREVIEW_DEFAULT_DAYS - 1} days after the first`,
    )
    .option(
      '--unit <đơn vị>',
      'chỉ các nhắc nhở về nghĩa vụ của một đơn vị / only the reminders about one unit’s obligations',
    )
    .option('--json')
    .action(async (o: { org?: string; from?: string; to?: string; unit?: string; json?: boolean }) => {
      const o2 = await org(o.org);
      // Days in the organisation's zone, as the web page's defaults.
      const from = o.from === undefined ? zonedDay(ctx.now(), o2.timeZone) : isoDay(o.from, '--from');
      const to = o.to === undefined ? addDays(from, PREVIEW_DEFAULT_DAYS - 1) : isoDay(o.to, '--to');
      if (from > to) throw new UserError(cliWords('fromAfterTo'));
      const unit = o.unit === undefined ? undefined : await findUnit(ctx.db, o2.id, o.unit);
      // The command line previews any range (the web page limits it); JSON keeps ISO instants.
      const preview = await previewReminders(ctx.db, o2.id, {
        from,
        to,
        maxDays: Number.POSITIVE_INFINITY,
        ...(unit ? { unit: unit.name } : {}),
      });
      const rows = preview.rows.map((r) => ({ ...r, at: r.at.toISOString() }));
      if (o.json) return out(json(rows));
      out(`${shortDate(from)} – ${shortDate(to)}${unit ? ` · ${unit.name}` : ''}`);
      out(
        table(
          ['Lúc', 'Giai đoạn', 'TT', 'Đơn vị', 'Người nhận', 'Kênh'],
          rows.map(
            (r) =>
              [
                dateTime(new Date(r.at), o2.timeZone),
                r.kind === 'cooperating' ? 'phối hợp' : r.stage,
                r.duty ?? '',
                truncate(r.unit ?? '', 40),
                truncate(r.contact, 30),
                r.channel ?? 'KHÔNG CÓ KÊNH',
              ] as string[],
          ),
        ),
      );
      // One message a day per person: the rows are items, grouped into messages.
      const messages = new Set(rows.map((r) => r.message)).size;
      out(
        `\n${messages} tin sẽ gửi (${rows.length} mục) / messages to send (${rows.length} items)${unit ? '' : ' (tổng hợp: chỉ khi có việc / digests only when there is news)'}`,
      );
    });

  program
    .command('nudge')
    .description('gửi ngay một nhắc nhở cho đơn vị (cùng đường gửi với nhắc theo lịch) / send a reminder now')
    .option('--org <mã>')
    .requiredOption('--unit <đơn vị>')
    .option('--duty <mã nhiệm vụ>')
    .action(async (o: { org?: string; unit: string; duty?: string }) => {
      const o2 = await org(o.org);
      const unit = await findUnit(ctx.db, o2.id, o.unit);
      const r = await nudge(ctx.db, o2.id, {
        unitId: unit.id,
        ...(o.duty ? { dutyCode: o.duty } : {}),
        actor: ctx.actor,
        now: ctx.now(),
      });
      await dispatchDue(ctx.db, await ctx.sendQueue(), o2.id, ctx.now(), 0);
      out(
        `Đã xếp hàng ${r.reminders} nhắc nhở cho ${unit.name} (${r.obligations} nghĩa vụ) / queued ${r.reminders} reminders`,
      );
      if (r.alreadyReminded)
        out(
          `${r.alreadyReminded} đầu mối đã nhận tin nhắc hôm nay, vẫn gửi / already reminded today, sent all the same`,
        );
      if (r.withoutChannel.length) out(`Không có kênh gửi được / no working channel: ${r.withoutChannel.join(', ')}`);
    });

  const outbox = program
    .command('outbox')
    .description(
      'hộp thư thử: tin của kênh thử, lưu tại đây, không gửi ra ngoài / the sandbox outbox: its messages, kept here, never sent out',
    );
  outbox
    .command('list', { isDefault: true })
    .option('--org <mã>')
    .option('--limit <n>', 'số thư / how many', '30')
    .action(async (o: { org?: string; limit: string }) => {
      const o2 = await org(o.org);
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UserError('--limit: 1…1000');
      const rows = await listOutbox(ctx.db, o2.id, { limit });
      out(
        table(
          ['#', 'Lúc', 'Gửi', 'Đơn vị', 'Tiêu đề', 'Trả lời'],
          rows.map((m) => [
            m.id.toString(),
            dateTime(m.createdAt, o2.timeZone),
            truncate(m.contact.name, 28),
            truncate(m.contact.unit.name, 30),
            truncate(m.subject, 50),
            m.answer ?? '',
          ]),
        ),
      );
      out('\nXem / show: dondoc outbox show <#>; trả lời / answer: dondoc outbox answer <#> xong [ghi chú]');
    });
  outbox
    .command('show <id>')
    .option('--org <mã>')
    .action(async (id: string, o: { org?: string }) => {
      const o2 = await org(o.org);
      const m = await getOutboxMessage(ctx.db, o2.id, id);
      out(`#${m.id} → ${m.contact.name} (${m.contact.unit.name}), ${dateTime(m.createdAt, o2.timeZone)}\n\n${m.body}`);
    });
  outbox
    .command('answer <id> <answer> [note...]')
    .description('trả lời như người nhận: "xong [ghi chú]" xác nhận hoàn thành / answer as the contact')
    .option('--org <mã>')
    .action(async (id: string, answer: string, note: string[], o: { org?: string }) => {
      const o2 = await org(o.org);
      const r = await answerOutbox(ctx.db, o2.id, id, answer, note.join(' ') || null, ctx.now());
      out(
        r.status === 'confirmed'
          ? `✅ Đã xác nhận hoàn thành; hủy ${r.cancelledReminders} nhắc nhở đang chờ / confirmed; ${r.cancelledReminders} pending reminders cancelled`
          : 'Nghĩa vụ này đã được xác nhận trước đó / already confirmed',
      );
    });

  const policy = program.command('policy').description('chính sách nhắc / reminder policy (SPEC §4)');
  policy
    .command('show')
    .option('--org <mã>')
    .action(async (o: { org?: string }) => {
      const rows = await listPolicies(ctx.db, (await org(o.org)).id);
      out(
        rows.length
          ? table(
              ['Phạm vi', 'Thiết lập'],
              rows.map((r) => [r.target, JSON.stringify(r.settings)]),
            )
          : 'Mặc định / defaults: nhắc trước 14, 7, 3, 1 ngày làm việc; đúng hạn; quá hạn mỗi 3 ngày; báo cáo lên sau 3 ngày; 08:00–17:00',
      );
    });
  policy
    .command('set')
    .option('--org <mã>')
    .option('--plan <số hiệu>')
    .option('--duty <mã>')
    .option('--unit <đơn vị>')
    .option('--lead-days <n,…>', 'ví dụ / e.g. 14,7,3,1')
    .option('--no-on-due', 'không nhắc đúng ngày hạn / no due-day reminder')
    .option('--overdue-every <n>')
    .option('--overdue-max <n>')
    .option('--escalate-after <n>')
    .option('--window <HH:MM-HH:MM>')
    .action(
      async (o: {
        org?: string;
        plan?: string;
        duty?: string;
        unit?: string;
        leadDays?: string;
        onDue?: boolean;
        overdueEvery?: string;
        overdueMax?: string;
        escalateAfter?: string;
        window?: string;
      }) => {
        const o2 = await org(o.org);
        const scopes = [o.plan, o.duty, o.unit].filter(Boolean);
        if (scopes.length > 1) throw new UserError(cliWords('oneScopeOnly'));
        let target = 'org';
        if (o.plan)
          target = `plan:${
            (
              await ctx.db.plan.findFirstOrThrow({ where: { orgId: o2.id, code: o.plan } }).catch(() => {
                throw new UserError(cliWords('noSuchPlan', { plan: o.plan! }));
              })
            ).id
          }`;
        if (o.duty) {
          const ds = await ctx.db.duty.findMany({ where: { orgId: o2.id, code: o.duty } });
          if (ds.length !== 1)
            throw new UserError(
              ds.length
                ? cliWords('dutyAmbiguous', { count: ds.length, duty: o.duty })
                : cliWords('noSuchDuty', { duty: o.duty }),
            );
          target = `duty:${ds[0]!.id}`;
        }
        if (o.unit) target = `unit:${(await findUnit(ctx.db, o2.id, o.unit)).id}`;
        const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
        const [ws, we] = o.window ? o.window.split('-') : [];
        const settings = Object.fromEntries(
          Object.entries({
            leadDays: o.leadDays?.split(',').map(Number),
            onDue: o.onDue === false ? false : undefined,
            overdueEvery: num(o.overdueEvery),
            overdueMax: num(o.overdueMax),
            escalateAfter: num(o.escalateAfter),
            windowStart: ws,
            windowEnd: we,
          }).filter(([, v]) => v !== undefined),
        );
        if (!Object.keys(settings).length) throw new UserError(cliWords('nothingToSave'));
        const merged = await setPolicy(ctx.db, o2.id, target, settings, ctx.actor);
        out(`${target}: ${JSON.stringify(merged)}`);
      },
    );

  program
    .command('templates')
    .description('mẫu tin nhắn / message templates')
    .command('check [dir]')
    .description(
      'kiểm tra mọi mẫu như trang sửa mẫu kiểm tra (cú pháp, chỗ trống, HTML Telegram), nêu tệp và vị trí / check every template as the editor does, naming file and position',
    )
    .action((dir: string | undefined) => {
      const where = dir ?? TEMPLATES_DIR;
      if (!existsSync(where) || !statSync(where).isDirectory())
        throw new UserError(cliWords('noTemplateDirectory', { where }));
      const problems = checkTemplateFiles(where);
      if (problems.length) {
        throw new UserError(
          [
            `${problems.length} mẫu không hợp lệ / invalid templates (${where}):`,
            // The command line prints both languages: each problem whole in Vietnamese, then in English.
            ...problems.map((p) => `  ${p.file}: ${p.problem.vi} / ${p.problem.en}`),
          ].join('\n'),
        );
      }
      loadTemplates(where);
      out(`Mọi mẫu hợp lệ / every template is valid: ${where}`);
    });

  program
    .command('seed-demo')
    .description(
      'nhập kế hoạch mẫu (TP.HCM), đơn vị, mỗi đơn vị một đầu mối nhận tin qua hộp thư thử và một quản trị viên / seed the demo',
    )
    .option('--org <mã>')
    .action(async (o: { org?: string }) => {
      const r = await seedDemo(ctx.db, {
        orgCode: o.org ?? ctx.config.DEFAULT_ORG,
        timeZone: ctx.config.DEFAULT_TIME_ZONE,
        now: ctx.now(),
        actor: ctx.actor,
      });
      out(
        r.created
          ? `Đã tạo / created ${r.orgCode}: ${r.units} đơn vị, ${r.contacts} đầu mối, ${r.obligations} nghĩa vụ năm nay`
          : `${r.orgCode} đã có kế hoạch, không làm gì / already has a plan, nothing done`,
      );
    });
}
