import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { Option, type Command } from 'commander';
import { UserError } from '#root/errors/index.js';
import { createAdmin, setAdminPassword, setOperator } from '#root/services/admins.js';
import { getOrganisation } from '#root/services/orgs.js';
import type { CliContext } from './context.js';
import { dateTime, table } from '#root/lib/format.js';
import { serviceWords } from '#root/messages/service-words.js';

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
async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) return firstLineOfStdin();
  const first = await askHidden('Mật khẩu / password: ');
  const second = await askHidden('Nhập lại / again: ');
  if (first !== second) throw new UserError(adminWords('entriesDiffer'));
  return first;
}

/** `dondoc admin`: the web page's administrator accounts. */
export function addAdminCommands(program: Command, ctx: CliContext, out: Out) {
  const admin = program.command('admin').description('tài khoản quản trị trang web / web administrator accounts');
  admin
    .command('create <email>')
    .description(
      'tạo quản trị viên; mật khẩu được hỏi, hoặc đọc dòng đầu của stdin / create an administrator; the password is asked, or read from stdin',
    )
    .option('--name <tên>', 'tên hiển thị / display name')
    .option(
      '--operator',
      "người vận hành toàn hệ thống: xem hàng đợi của mọi tổ chức / deployment-wide operator: sees every organisation's job queues",
    )
    .addOption(new Option('--org <mã>', 'mã tổ chức / organisation code (DEFAULT_ORG)'))
    .action(async (email: string, o: { name?: string; org?: string; operator?: boolean }) => {
      const org = await getOrganisation(ctx.db, o.org ?? ctx.config.DEFAULT_ORG);
      const password = await readPassword();
      const account = await createAdmin(
        ctx.db,
        org.id,
        { email, ...(o.name ? { name: o.name } : {}), password, operator: Boolean(o.operator) },
        ctx.actor,
      );
      out(
        `Đã tạo quản trị viên / administrator created: ${account.email} (${org.code})${account.operator ? ' — người vận hành / operator' : ''}`,
      );
    });
  admin
    .command('operator <email>')
    .description(
      'cho (hoặc thôi cho, --revoke) quản trị viên làm người vận hành: xem hàng đợi của mọi tổ chức / make an administrator a deployment-wide operator (or no longer, --revoke)',
    )
    .option('--revoke', 'thôi là người vận hành / no longer an operator')
    .action(async (email: string, o: { revoke?: boolean }) => {
      const r = await setOperator(ctx.db, email, !o.revoke, ctx.actor);
      const what = o.revoke
        ? 'không còn là người vận hành / no longer an operator'
        : 'là người vận hành / is an operator';
      out(
        `${r.changed ? 'Đã đổi' : 'Không đổi gì'} / ${r.changed ? 'changed' : 'nothing changed'}: ${r.account.email} ${what}`,
      );
    });
  admin
    .command('password <email>')
    .description('đặt lại mật khẩu (đăng xuất mọi phiên) / set a new password (ends every session)')
    .action(async (email: string) => {
      await setAdminPassword(ctx.db, email, await readPassword(), ctx.actor);
      out(`Đã đổi mật khẩu / password changed: ${email}`);
    });
  admin
    .command('list')
    .addOption(new Option('--org <mã>', 'mã tổ chức / organisation code (DEFAULT_ORG)'))
    .action(async (o: { org?: string }) => {
      const org = await getOrganisation(ctx.db, o.org ?? ctx.config.DEFAULT_ORG);
      const rows = await ctx.db.adminAccount.findMany({ where: { orgId: org.id }, orderBy: { email: 'asc' } });
      out(
        table(
          ['Email', 'Tên', 'Hoạt động', 'Vận hành', 'Đăng nhập lần cuối'],
          rows.map((r) => [
            r.email,
            r.name,
            r.active ? 'có' : 'không',
            r.operator ? 'có' : 'không',
            r.lastLoginAt ? dateTime(r.lastLoginAt, org.timeZone) : '—',
          ]),
        ),
      );
    });
}
