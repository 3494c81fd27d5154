import { randomBytes, timingSafeEqual } from 'node:crypto';
import cookie from '@fastify/cookie';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { messageIn, NotFoundError, oneLanguage, UserError } from '#root/errors/index.js';
import { authenticate, endSession, sessionFor, startSession, type WebSessionInfo } from '#root/services/admins.js';
import { inboxCounts } from '#root/services/inbox.js';
import { html, layout, type Html, type Lang } from './html.js';
import { webWords } from './words.js';
import type { WebDeps } from './server.js';

/** What every administrator page knows about who asks. */
export interface AdminContext extends WebSessionInfo {
  orgId: string;
  lang: Lang;
  /** The audit log's name for this administrator. */
  actor: string;
  /** What waits in the inbox (the menu's count), read for pages, not for downloads. */
  inbox?: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    admin: AdminContext | null;
    /** The file name of the upload of a multipart form (the body holds only its bytes). */
    uploadName: string | null;
  }
}

export const SESSION_COOKIE = 'dondoc_session';
const LOGIN_CSRF_COOKIE = 'dondoc_login';
const FLASH_COOKIE = 'dondoc_flash';
/** Largest urlencoded form (a plan pasted into the import page), as sent: src/web/server.ts. */
export const FORM_MAX_BYTES = 2 * 1024 * 1024;
/** Largest upload (a plan as CSV or XLSX); larger ones are refused with 413 before they are read. */
export const UPLOAD_MAX_BYTES = 10 * 1024 * 1024;
/** Failed logins allowed per email in LOGIN_WINDOW_SECONDS (attempts in flight count as failures until they succeed). */
export const LOGIN_MAX_FAILURES = 10;
/** Failed logins allowed per address (higher: a whole office may share one address). */
export const LOGIN_MAX_FAILURES_PER_ADDRESS = 50;
const LOGIN_WINDOW_SECONDS = 15 * 60;

export const langOf = (req: FastifyRequest): Lang => (req.cookies?.lang === 'en' ? 'en' : 'vi');

/** The administrator of a request behind `requireAdmin` (never null there). */
export function adminOf(req: FastifyRequest): AdminContext {
  if (!req.admin) throw new Error('adminOf outside the administrators’ scope');
  return req.admin;
}

/** A relative path of this site, or the status page: never a redirect elsewhere. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) ? next : '/admin';
}

/** The page this request came from, on this site (a link back needs no script: the CSP allows none), or the status page. */
function backOf(req: FastifyRequest): string {
  try {
    const from = new URL(String(req.headers.referer ?? ''));
    return from.host === req.host ? safeNext(from.pathname + from.search) : '/admin';
  } catch {
    return '/admin';
  }
}

const sameToken = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** Sends a whole administrator page: the layout, the menu, the flash message left by the last action. */
export function sendPage(
  req: FastifyRequest,
  reply: FastifyReply,
  page: { title: string; body: Html; status?: number; error?: string | null; insert?: { mark: string; bytes: Buffer } },
) {
  const flash = req.cookies?.[FLASH_COOKIE];
  if (flash) void reply.clearCookie(FLASH_COOKIE, { path: '/' });
  const a = req.admin;
  const text = layout({
    title: page.title,
    lang: a?.lang ?? langOf(req),
    body: page.body,
    admin: a
      ? { name: a.account.name, csrfToken: a.csrfToken, operator: a.account.operator, inbox: a.inbox }
      : undefined,
    path: req.url.split('?')[0]!,
    flash,
    error: page.error,
  });
  reply.code(page.status ?? 200).type('text/html; charset=utf-8');
  if (!page.insert) return reply.send(text);
  // Markup already encoded (the matrix's megabytes), put where the body says, as bytes.
  const at = text.indexOf(page.insert.mark);
  if (at < 0) throw new Error(`sendPage: ${page.insert.mark} is not in the page`);
  return reply.send(
    Buffer.concat([
      Buffer.from(text.slice(0, at)),
      page.insert.bytes,
      Buffer.from(text.slice(at + page.insert.mark.length)),
    ]),
  );
}

/** After a change: back to a page (POST → redirect → GET), which then says what was done. */
export function redirectWith(reply: FastifyReply, to: string, message: string) {
  void reply.setCookie(FLASH_COOKIE, message.slice(0, 500), { path: '/', httpOnly: true, sameSite: 'lax', maxAge: 60 });
  return reply.redirect(safeNext(to), 303);
}

/** The hidden field every form of an administrator page carries. */
export const csrfField = (req: FastifyRequest) =>
  html`<input type="hidden" name="_csrf" value="${adminOf(req).csrfToken}">`;

/** A form field as text: trimmed, '' when missing or not text. */
export function field(body: unknown, name: string): string {
  const v = body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  return typeof v === 'string' ? v.trim() : '';
}

/** A service's error in the page's language only (src/errors/index.ts). */
export { messageIn, oneLanguage };

/** The reason every action taken on a unit's behalf must give (the audit log keeps it). */
export function requiredReason(body: unknown, lang: Lang): string {
  const reason = field(body, 'reason');
  if (reason.length < 3) throw new UserError(webWords('common', lang)('reasonRequired'));
  // Refused, not cut: the log would keep a reason nobody wrote (the forms' fields take REASON_MAX).
  const length = [...reason].length;
  if (length > REASON_MAX) throw new UserError(webWords('common', lang)('reasonTooLong', { length, max: REASON_MAX }));
  return reason;
}

/** The longest reason an action takes (the `maxlength` of the reason fields). */
export const REASON_MAX = 1000;

function loginPage(
  req: FastifyRequest,
  reply: FastifyReply,
  input: { next: string; email?: string; error?: string; status?: number },
) {
  const lang = langOf(req);
  const t = webWords('common', lang);
  const token = randomBytes(18).toString('base64url');
  void reply.setCookie(LOGIN_CSRF_COOKIE, token, {
    path: '/login',
    httpOnly: true,
    sameSite: 'strict',
    secure: req.protocol === 'https',
  });
  return reply
    .code(input.status ?? 200)
    .type('text/html; charset=utf-8')
    .send(
      layout({
        title: t('log'),
        lang,
        path: '/login',
        error: input.error,
        body: html`<h1>${t('administratorLogin')}</h1>
<form method="post" action="/login" class="card narrow">
<input type="hidden" name="_csrf" value="${token}"><input type="hidden" name="next" value="${input.next}">
<p><label>Email<br><input type="email" name="email" autocomplete="username" required value="${input.email ?? ''}" class="wide"></label></p>
<p><label>${t('password')}<br><input type="password" name="password" autocomplete="current-password" required class="wide"></label></p>
<p><button type="submit">${t('log')}</button></p></form>
<p class="muted">${t('firstAdministratorCreated')} <code>dondoc admin create &lt;email&gt;</code>.</p>`,
      }),
    );
}

/**
 * Login, logout, the language switch, and the administrators' scope under /admin: a session
 * cookie (HTTP-only, SameSite=Lax, Secure behind HTTPS), a CSRF token checked on every form,
 * login attempts counted in Redis per address and per email before the password is checked.
 */
export async function registerAdmin(
  app: FastifyInstance,
  deps: WebDeps,
  pages: ((scope: FastifyInstance, deps: WebDeps) => void | Promise<void>)[],
) {
  await app.register(cookie);
  app.decorateRequest('admin', null);
  const secure = (req: FastifyRequest) =>
    req.protocol === 'https' || Boolean(deps.config.PUBLIC_URL?.startsWith('https:'));
  const prefix = deps.config.REDIS_PREFIX;
  const failureKeys = (req: FastifyRequest, email: string) => [
    `${prefix}:login-fail:ip:${req.ip}`,
    `${prefix}:login-fail:email:${email.toLowerCase()}`,
  ];

  app.get<{ Params: { lang: string }; Querystring: { back?: string } }>('/lang/:lang', async (req, reply) => {
    const lang: Lang = req.params.lang === 'en' ? 'en' : 'vi';
    void reply.setCookie('lang', lang, { path: '/', sameSite: 'lax', maxAge: 365 * 86_400 });
    return reply.redirect(safeNext(req.query.back), 303);
  });

  app.get<{ Querystring: { next?: string } }>('/login', async (req, reply) =>
    loginPage(req, reply, { next: safeNext(req.query.next) }),
  );

  app.post('/login', async (req, reply) => {
    const t = webWords('common', langOf(req));
    const email = field(req.body, 'email').slice(0, 320);
    const password =
      typeof (req.body as Record<string, unknown> | undefined)?.password === 'string'
        ? ((req.body as Record<string, string>).password ?? '')
        : '';
    const next = safeNext(field(req.body, 'next'));
    const expected = req.cookies[LOGIN_CSRF_COOKIE];
    if (!expected || !sameToken(field(req.body, '_csrf'), expected)) {
      return loginPage(req, reply, {
        next,
        email,
        status: 403,
        error: t('loginPageStalePlease'),
      });
    }
    // Count first, atomically, then check, then evaluate: the attempt is counted against its
    // address and its email before the password is looked at, so that concurrent guesses cannot
    // all pass a check made before any of them was counted (40 at once were all evaluated when
    // the counters were read, then scrypt ran, then they were incremented).
    const keys = failureKeys(req, email);
    const counted = await deps.redis
      .multi()
      .incr(keys[0]!)
      .expire(keys[0]!, LOGIN_WINDOW_SECONDS, 'NX')
      .incr(keys[1]!)
      .expire(keys[1]!, LOGIN_WINDOW_SECONDS, 'NX')
      .exec();
    if (!counted || counted.some(([error]) => error)) throw new Error('login attempt not counted');
    const byAddress = Number(counted[0]![1]);
    const byEmail = Number(counted[2]![1]);
    if (byAddress > LOGIN_MAX_FAILURES_PER_ADDRESS || byEmail > LOGIN_MAX_FAILURES) {
      deps.logger.warn({ role: 'web', ip: req.ip }, 'administrator login refused: too many failures');
      return loginPage(req, reply, {
        next,
        email,
        status: 429,
        error: t('tooManyFailedAttempts'),
      });
    }
    const account =
      email && password
        ? await authenticate(deps.db, email, password, { evaluated: () => deps.metrics.passwordChecks.inc() })
        : null;
    if (!account) {
      deps.logger.warn({ role: 'web', ip: req.ip }, 'failed administrator login');
      return loginPage(req, reply, {
        next,
        email,
        status: 401,
        error: t('wrongEmailPassword'),
      });
    }
    // Not a failure after all: the address gets its attempt back, and the email starts afresh.
    await deps.redis.multi().decr(keys[0]!).del(keys[1]!).exec();
    const { token } = await startSession(deps.db, account, deps.clock.now());
    void reply.clearCookie(LOGIN_CSRF_COOKIE, { path: '/login' });
    void reply.setCookie(SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'lax', secure: secure(req) });
    return reply.redirect(next, 303);
  });

  app.post('/logout', async (req, reply) => {
    const token = req.cookies[SESSION_COOKIE];
    if (token) {
      const s = await sessionFor(deps.db, token, deps.clock.now());
      // A logout needs the form's token too: another site cannot log an administrator out.
      if (s && !sameToken(field(req.body, '_csrf'), s.csrfToken))
        return reply.code(403).type('text/plain; charset=utf-8').send('CSRF');
      await endSession(deps.db, token);
    }
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/login', 303);
  });

  app.get('/', async (_req, reply) => reply.redirect('/admin', 302));

  await app.register(
    async (scope) => {
      scope.decorateRequest('uploadName', null);
      await scope.register(multipart, {
        attachFieldsToBody: 'keyValues',
        limits: { fileSize: UPLOAD_MAX_BYTES, files: 1, fields: 50 },
        // As 'keyValues' does (the file's bytes in the body), keeping the file's name aside.
        async onFile(this: FastifyRequest, part) {
          this.uploadName = part.filename || null;
          (part as unknown as { value: Buffer }).value = await part.toBuffer();
        },
      });
      scope.addHook('onRequest', async (req, reply) => {
        void reply
          .header('cache-control', 'no-store')
          .header('x-frame-options', 'DENY')
          .header('x-content-type-options', 'nosniff')
          .header('referrer-policy', 'same-origin');
        const token = req.cookies[SESSION_COOKIE];
        const session = token ? await sessionFor(deps.db, token, deps.clock.now()) : null;
        if (!session) {
          const t = webWords('common', langOf(req));
          if (req.method === 'GET' || req.method === 'HEAD')
            return reply.redirect(`/login?next=${encodeURIComponent(req.url)}`, 303);
          return loginPage(req, reply, {
            next: '/admin',
            status: 401,
            error: t('yourSessionExpiredNothing'),
          });
        }
        req.admin = {
          ...session,
          orgId: session.account.orgId,
          lang: langOf(req),
          actor: `web:${session.account.email}`,
        };
      });
      // The menu's count of what waits in the inbox: for the pages a person reads (not downloads,
      // evidence files, the queue dashboard's API).
      scope.addHook('preHandler', async (req) => {
        if ((req.method !== 'GET' && req.method !== 'HEAD') || !req.admin) return;
        if (/\.(csv|xlsx)(\?|$)|^\/admin\/(evidence|queues)\//.test(req.url)) return;
        req.admin.inbox = (await inboxCounts(deps.db, req.admin.orgId, deps.clock.now())).total;
      });
      // Every change needs the session's token, from the form (or a header for scripts).
      scope.addHook('preHandler', async (req, reply) => {
        if (req.method === 'GET' || req.method === 'HEAD') return;
        const a = adminOf(req);
        const sent = field(req.body, '_csrf') || String(req.headers['x-csrf-token'] ?? '');
        if (!sent || !sameToken(sent, a.csrfToken)) {
          const t = webWords('common', a.lang);
          return sendPage(req, reply, {
            status: 403,
            title: t('refused'),
            body: html`<h1>${t('invalidForm')}</h1><p>${t('antiForgeryCsrfToken')}</p>`,
          });
        }
      });
      scope.setErrorHandler(async (error: Error & { statusCode?: number; code?: string }, req, reply) => {
        const t = webWords('common', req.admin?.lang ?? langOf(req));
        if (error instanceof UserError)
          return sendPage(req, reply, {
            status: error instanceof NotFoundError ? 404 : 400,
            title: t('notDone'),
            body: html`<h1>${t('notDone')}</h1><p>${messageIn(error, req.admin?.lang ?? langOf(req))}</p><p>${t('nothingChanged')} <a href="${backOf(req)}">${t('back')}</a></p>`,
          });
        const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
        if (status === 500) req.log.error({ err: error, req, statusCode: status }, 'page failed');
        const text =
          error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
            ? t('pastedTextTooLong', { value: FORM_MAX_BYTES / 1024 / 1024, megabytes: UPLOAD_MAX_BYTES / 1024 / 1024 })
            : error.code === 'FST_REQ_FILE_TOO_LARGE' || status === 413
              ? t('fileTooLargeMost', { megabytes: UPLOAD_MAX_BYTES / 1024 / 1024 })
              : status === 404
                ? t('notFound')
                : status === 500
                  ? t('somethingWentWrongServer', { id: req.id })
                  : t('invalidRequestNothingChanged');
        return sendPage(req, reply, {
          status: error.code === 'FST_REQ_FILE_TOO_LARGE' ? 413 : status,
          title: t('error'),
          body: html`<h1>${t('notDone')}</h1><p>${text}</p>`,
        });
      });
      scope.setNotFoundHandler(async (req, reply) => {
        const t = webWords('common', adminOf(req).lang);
        return sendPage(req, reply, {
          status: 404,
          title: t('notFoundTitle'),
          body: html`<h1>${t('noSuchPage')}</h1><p><a href="/admin">${t('backStatusPage')}</a></p>`,
        });
      });
      for (const register of pages) await register(scope, deps);
    },
    { prefix: '/admin' },
  );
}
