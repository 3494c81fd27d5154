import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { Option, type Command } from 'commander';
import { UserError } from '#root/errors/index.js';
import { createAdmin, setAdminPassword, setOperator } from '#root/services/admins.js';
import { getOrganisation } from '#root/services/orgs.js';
import type { CliContext } from './context.js';
import { dateTime, table } from '#root/lib/format.js';
import { serviceWords, serviceWordsIn, type ServiceTIn } from '#root/messages/service-words.js';

const adminWords = serviceWords('admins');

type Out = (text: string) => void;

/** Reads a line from a terminal without echoing it. */
function askHidden(question: string): Promise<string> {
  const muted = new Writable({ write: (_chunk, _enc, done) => done() });
  process.stderr.write(question);
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  return new Promise((resolve) =>
    rl.question('', (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    }),
  );
}

/** The first line of standard input (the password piped in: `echo … | dondoc admin create …`). */
async function firstLineOfStdin(): Promise<string> {
  let text = '';
  // Decoded across chunks: a letter of a password cut between two reads stays one letter.
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) {
    text += chunk as string;
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}

/** The password: asked twice on a terminal, else the first line of stdin. */
async function readPassword(t: ServiceTIn<'cli'>): Promise<string> {
  if (!process.stdin.isTTY) return firstLineOfStdin();
  const first = await askHidden(`${t('admin.password')} `);
  const second = await askHidden(`${t('admin.again')} `);
  if (first !== second) throw new UserError(adminWords('entriesDiffer'));
  return first;
}

/** `dondoc admin`: the web page's administrator accounts. */
export function addAdminCommands(program: Command, ctx: CliContext, out: Out) {
  const t = serviceWordsIn('cli', ctx.lang);
  const admin = program.command('admin').description(t('help.admin'));
  admin
    .command(t('cmd.adminCreate'))
    .description(t('help.adminCreate'))
    .option(t('arg.name'), t('opt.displayName'))
    .option('--operator', t('opt.operator'))
    .addOption(new Option(t('arg.org'), t('opt.org')))
    .action(async (email: string, o: { name?: string; org?: string; operator?: boolean }) => {
      const org = await getOrganisation(ctx.db, o.org ?? ctx.config.DEFAULT_ORG);
      const password = await readPassword(t);
      const account = await createAdmin(
        ctx.db,
        org.id,
        { email, ...(o.name ? { name: o.name } : {}), password, operator: Boolean(o.operator) },
        ctx.actor,
      );
      out(
        `${t('admin.created', { email: account.email, org: org.code })}${account.operator ? ` — ${t('admin.operator')}` : ''}`,
      );
    });
  admin
    .command(t('cmd.adminOperator'))
    .description(t('help.adminOperator'))
    .option('--revoke', t('opt.revoke'))
    .action(async (email: string, o: { revoke?: boolean }) => {
      const r = await setOperator(ctx.db, email, !o.revoke, ctx.actor);
      const who = { email: r.account.email };
      out(
        o.revoke
          ? t(r.changed ? 'admin.noLongerOperator' : 'admin.alreadyNotOperator', who)
          : t(r.changed ? 'admin.nowOperator' : 'admin.alreadyOperator', who),
      );
    });
  admin
    .command(t('cmd.adminPassword'))
    .description(t('help.adminPassword'))
    .action(async (email: string) => {
      await setAdminPassword(ctx.db, email, await readPassword(t), ctx.actor);
      out(t('admin.passwordChanged', { email }));
    });
  admin
    .command('list')
    .description(t('help.adminList'))
    .addOption(new Option(t('arg.org'), t('opt.org')))
    .action(async (o: { org?: string }) => {
      const org = await getOrganisation(ctx.db, o.org ?? ctx.config.DEFAULT_ORG);
      const rows = await ctx.db.adminAccount.findMany({ where: { orgId: org.id }, orderBy: { email: 'asc' } });
      out(
        table(
          [t('col.email'), t('col.name'), t('col.active'), t('col.operator'), t('col.lastLogin')],
          rows.map((r) => [
            r.email,
            r.name,
            t(r.active ? 'yes' : 'no'),
            t(r.operator ? 'yes' : 'no'),
            r.lastLoginAt ? dateTime(r.lastLoginAt, org.timeZone) : '—',
          ]),
        ),
      );
    });
}
