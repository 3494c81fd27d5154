import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import { REMINDERS_QUEUE } from '#jobs/queues.js';
import { adminOf, sendPage } from '../admin.js';
import { html } from '../html.js';
import { webWords } from '../words.js';
import type { WebDeps } from '../server.js';

export const QUEUES_PATH = '/admin/queues';

/**
 * The board's own policy: its scripts, styles and API calls come from this site only. It asks for
 * a Google Fonts stylesheet, which this refuses (the board falls back to the system font): an
 * office without Internet access, or an administrator's browser, should not reach Google for a
 * page of government operations. Inline style attributes are the board's own (its loading screen).
 */
const BOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

/**
 * Administrators' pages: the BullMQ dashboard (bull-board) at /admin/queues, behind the
 * administrators' login like every page of the scope, and for deployment-wide operators only
 * (`dondoc admin operator <email>`): the queues hold every organisation's jobs, so an ordinary
 * administrator gets 403 (and no menu link), its assets and API included.
 *
 * Read-only: the board can retry, clean, promote, pause or empty queues, but its UI sends those as
 * JSON PUT/POST calls without our CSRF token, which the scope refuses (403) anyway; and a job
 * retried or removed by hand bypasses the claim in PostgreSQL that decides what is sent (a
 * deleted send job is a reminder that never goes out until the next planning run). Operators look
 * here; they act through the pages and the CLI, which keep the audit log. `readOnlyMode` makes the
 * board hide those buttons and its API refuse them (405) even if a request got through.
 *
 * The queues are the program's (src/composition.ts builds them, reports their errors and closes
 * them): this page opens none of its own.
 */
export function registerQueuePages(scope: FastifyInstance, deps: WebDeps): void {
  const queues = deps.boardQueues;

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUES_PATH);
  createBullBoard({
    queues: queues.map(
      (q) =>
        new BullMQAdapter(q, {
          readOnlyMode: true,
          description:
            q.name === REMINDERS_QUEUE ? 'Tin nhắc và tin tổng hợp cần gửi' : 'Đối chiếu nghĩa vụ, lập lịch nhắc',
        }),
    ),
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: 'dondoc – Hàng đợi',
        hideDocsLink: true,
        miscLinks: [{ text: 'Về trang quản trị', url: '/admin' }],
      },
    },
  });
  void scope.register(async (board) => {
    board.addHook('onRequest', async (req, reply) => {
      void reply.header('content-security-policy', BOARD_CSP);
      if (!adminOf(req).account.operator) {
        const t = webWords('queues', adminOf(req).lang);
        return sendPage(req, reply, {
          status: 403,
          title: t('refused'),
          body: html`<h1>${t('operatorsOnly')}</h1><p>${t('queuesHoldEveryOrganisation')} <code>dondoc admin operator &lt;email&gt;</code>.</p>`,
        });
      }
    });
    await board.register(serverAdapter.registerPlugin(), { prefix: '/queues' });
  });
}
