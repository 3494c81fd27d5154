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
import { serviceWords, serviceWordsIn } from '#root/messages/service-words.js';

/** Bad input, thrown as a {@link UserError} in both languages: printed in the run's. */
const cliWords = serviceWords('cli');

type Out = (text: string) => void;

const STAGES = ['lead', 'due', 'overdue', 'escalation', 'digest', 'cooperating'] as const;
const isStage = (s: string): s is (typeof STAGES)[number] => (STAGES as readonly string[]).includes(s);

/** The reminders' commands: preview, nudge, the sandbox outbox, policies, the demo. */
export function addReminderCommands(program: Command, ctx: CliContext, out: Out): void {
  const { lang } = ctx;
  const t = serviceWordsIn('cli', lang);
  const org = async (code: string | undefined) => getOrganisation(ctx.db, code ?? ctx.config.DEFAULT_ORG);
  const json = (v: unknown) => JSON.stringify(v, null, 2);
  /** A reminder's stage in words ("trước hạn", "before the due day"), never its stored name. */
  const stageWords = (stage: string) => (isStage(stage) ? t(`stage.${stage}`) : stage);

  program
    .command('preview')
    .description(t('help.preview', { days: PREVIEW_DEFAULT_DAYS - 1 }))
    .option(t('arg.org'), t('opt.org'))
    .option('--from <YYYY-MM-DD>', t('opt.from'))
    .option('--to <YYYY-MM-DD>', t('opt.to', { days: PREVIEW_DEFAULT_DAYS - 1 }))
    .option(t('arg.unit'), t('opt.previewUnit'))
    .option('--json', t('opt.json'))
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
          [t('col.at'), t('col.stage'), t('col.code'), t('col.unit'), t('col.recipient'), t('col.channel')],
          rows.map(
            (r) =>
              [
                dateTime(new Date(r.at), o2.timeZone),
                stageWords(r.kind === 'cooperating' ? 'cooperating' : r.stage),
                r.duty ?? '',
                truncate(r.unit ?? '', 40),
                truncate(r.contact, 30),
                r.channel ?? t('preview.noChannel'),
              ] as string[],
          ),
        ),
      );
      // One message a day per person: the rows are items, grouped into messages.
      const messages = new Set(rows.map((r) => r.message)).size;
      out(`\n${t('preview.total', { messages, items: rows.length })}${unit ? '' : ` ${t('preview.digests')}`}`);
    });

  program
    .command('nudge')
    .description(t('help.nudge'))
    .option(t('arg.org'), t('opt.org'))
    .requiredOption(t('arg.unit'), t('opt.nudgeUnit'))
    .option(t('arg.duty'), t('opt.nudgeDuty'))
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
      out(t('nudge.queued', { reminders: r.reminders, unit: unit.name, obligations: r.obligations }));
      if (r.alreadyReminded) out(t('nudge.alreadyReminded', { count: r.alreadyReminded }));
      if (r.withoutChannel.length) out(t('nudge.noChannel', { names: r.withoutChannel.join(', ') }));
    });

  const outbox = program.command('outbox').description(t('help.outbox'));
  outbox
    .command('list', { isDefault: true })
    .description(t('help.outboxList'))
    .option(t('arg.org'), t('opt.org'))
    .option('--limit <n>', t('opt.limit'), '30')
    .action(async (o: { org?: string; limit: string }) => {
      const o2 = await org(o.org);
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UserError(cliWords('badLimit'));
      const rows = await listOutbox(ctx.db, o2.id, { limit });
      out(
        table(
          ['#', t('col.at'), t('col.to'), t('col.unit'), t('col.subject'), t('col.answer')],
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
      out(`\n${t('outbox.hint')}`);
    });
  outbox
    .command(t('cmd.outboxShow'))
    .description(t('help.outboxShow'))
    .option(t('arg.org'), t('opt.org'))
    .action(async (id: string, o: { org?: string }) => {
      const o2 = await org(o.org);
      const m = await getOutboxMessage(ctx.db, o2.id, id);
      out(`#${m.id} → ${m.contact.name} (${m.contact.unit.name}), ${dateTime(m.createdAt, o2.timeZone)}\n\n${m.body}`);
    });
  outbox
    .command(t('cmd.outboxAnswer'))
    .description(t('help.outboxAnswer'))
    .option(t('arg.org'), t('opt.org'))
    .action(async (id: string, answer: string, note: string[], o: { org?: string }) => {
      const o2 = await org(o.org);
      const r = await answerOutbox(ctx.db, o2.id, id, answer, note.join(' ') || null, ctx.now());
      out(
        r.status === 'confirmed'
          ? `✅ ${t('outbox.confirmed', { count: r.cancelledReminders })}`
          : t('outbox.alreadyConfirmed'),
      );
    });

  const policy = program.command('policy').description(t('help.policy'));
  policy
    .command('show')
    .description(t('help.policyShow'))
    .option(t('arg.org'), t('opt.org'))
    .action(async (o: { org?: string }) => {
      const rows = await listPolicies(ctx.db, (await org(o.org)).id);
      out(
        rows.length
          ? table(
              [t('col.scope'), t('col.settings')],
              rows.map((r) => [r.target, JSON.stringify(r.settings)]),
            )
          : t('policy.defaults'),
      );
    });
  policy
    .command('set')
    .description(t('help.policySet'))
    .option(t('arg.org'), t('opt.org'))
    .option(t('arg.plan'), t('opt.policyPlan'))
    .option(t('arg.duty'), t('opt.policyDuty'))
    .option(t('arg.unit'), t('opt.policyUnit'))
    .option('--lead-days <n,…>', t('opt.leadDays'))
    .option('--no-on-due', t('opt.noOnDue'))
    .option('--overdue-every <n>', t('opt.overdueEvery'))
    .option('--overdue-max <n>', t('opt.overdueMax'))
    .option('--escalate-after <n>', t('opt.escalateAfter'))
    .option('--window <HH:MM-HH:MM>', t('opt.window'))
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
    .description(t('help.templates'))
    .command(t('cmd.templatesCheck'))
    .description(t('help.templatesCheck'))
    .action((dir: string | undefined) => {
      const where = dir ?? TEMPLATES_DIR;
      if (!existsSync(where) || !statSync(where).isDirectory())
        throw new UserError(cliWords('noTemplateDirectory', { where }));
      const problems = checkTemplateFiles(where);
      if (problems.length) {
        // Each problem in each language: the run prints its own.
        const lines = (lang: 'vi' | 'en') => [...problems.map((p) => `  ${p.file}: ${p.problem[lang]}`)].join('\n');
        const head = cliWords('invalidTemplates', { count: problems.length, where });
        throw new UserError({ vi: `${head.vi}\n${lines('vi')}`, en: `${head.en}\n${lines('en')}` });
      }
      loadTemplates(where);
      out(t('templates.valid', { where }));
    });

  program
    .command('seed-demo')
    .description(t('help.seedDemo'))
    .option(t('arg.org'), t('opt.org'))
    .action(async (o: { org?: string }) => {
      const r = await seedDemo(ctx.db, {
        orgCode: o.org ?? ctx.config.DEFAULT_ORG,
        timeZone: ctx.config.DEFAULT_TIME_ZONE,
        now: ctx.now(),
        actor: ctx.actor,
      });
      out(
        r.created
          ? t('demo.created', { org: r.orgCode, units: r.units, contacts: r.contacts, obligations: r.obligations })
          : t('demo.exists', { org: r.orgCode }),
      );
    });
}
