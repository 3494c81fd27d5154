import formbody from '@fastify/formbody';
import type { Queue } from 'bullmq';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { SendJobData } from '#jobs/queues.js';
import type { Config } from '#root/config.js';
import type { Db } from '#root/db/client.js';
import type { Clock } from '#root/deps.js';
import { isRate, parseIndicatorValue, withUnit } from '#root/domain/indicators.js';
import { dueInstant } from '#root/domain/obligation-state.js';
import { zonedDay } from '#root/domain/zoned-day.js';
import type { Logger } from '#root/logger.js';
import { bearerMatches, METRICS_UNAUTHORIZED, observeAtScrape, type Metrics } from '#root/metrics.js';
import { withTimeout } from '#root/lib/timeout.js';
import type { Redis } from '#root/redis.js';
import { type Lang, shortDate } from '#root/domain/wording.js';
import { say } from '#root/messages/chat-words.js';
import { NotFoundError, UserError } from '#root/errors/index.js';
import { confirmObligation } from '#root/services/confirmations.js';
import { refusalText, reportIndicatorValue, unitIndicators, valueText } from '#root/services/indicators.js';
import type { UnitNotice } from '#root/services/on-behalf.js';
import { dayListOf } from '#root/services/day-list.js';
import { linkExpiry, signLink, verifyLink } from '#root/services/links.js';
import { langOfAcceptLanguage, langOfQuery } from './accept-language.js';
import { personLang, sendClientErrorPage, wantsPage } from './client-errors.js';
import { FORM_MAX_BYTES, registerAdmin } from './admin.js';
import { html, layout, STYLE, STYLESHEET_PATH } from './html.js';
import {
  CONFIRM_STYLE,
  CONFIRM_STYLESHEET_PATH,
  confirmedPage,
  confirmForm,
  linkErrorPage,
  type LinkProblem,
  type ObligationSummary,
  indicatorForm,
  indicatorsSavedPage,
  withIndicators,
  type LinkIndicator,
  type DayItem,
} from './confirm-page.js';
import { ADMIN_PAGES, registerPublicPages } from './pages/index.js';

/**
 * The pages' Content-Security-Policy: server-rendered, no script at all, styles from this site
 * only (src/web/html.ts), images from here or inline (the QR code is inline SVG), forms posted here,
 * never framed, no <base>.
 */
export const PAGE_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
/**
 * The templates' pages preview an email in a sandboxed `srcdoc` frame, which inherits this policy:
 * emails carry inline styles, so there (only) inline styles are allowed; still no script.
 */
export const TEMPLATES_CSP =
  "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** What a log line says of a request: no headers, no query, no path parameters (tokens). */
export function requestForLog(req: FastifyRequest) {
  return { method: req.method, route: req.routeOptions?.url ?? null, reqId: req.id, remoteAddress: req.ip };
}

export interface WebDeps {
  /** The whole configuration: the pages read a few settings, and a typed address may need its channel's. */
  config: Config;
  db: Db;
  redis: Redis;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** The send queue: a nudge from the web page goes out through it at once. */
  sendQueue: () => Queue<SendJobData>;
  /** The queues the operators' board shows (/admin/queues), read-only; their owner closes them. */
  boardQueues: readonly Queue[];
  /**
   * Tells a unit's people in chat what an administrator did for it (the command service's
   * `announce`); absent when this process has no chat bot token.
   */
  announce?: (notice: UnitNotice) => Promise<void>;
}

/**
 * The HTTP server: health, metrics, the signed one-click confirmation link of emails (`GET` shows
 * a page, only `POST` confirms, so mail scanners and link previews confirm nothing), the units'
 * calendar feeds, and the administrators' pages under /admin (src/web/admin.ts).
 */
export function createWebServer(deps: WebDeps): FastifyInstance {
  const https = Boolean(deps.config.PUBLIC_URL?.startsWith('https:'));
  const securityHeaders = (req: FastifyRequest, reply: FastifyReply) => {
    if (!reply.hasHeader('content-security-policy'))
      reply.header('content-security-policy', req.url.startsWith('/admin/templates') ? TEMPLATES_CSP : PAGE_CSP);
    if (!reply.hasHeader('x-frame-options')) reply.header('x-frame-options', 'DENY');
    if (!reply.hasHeader('x-content-type-options')) reply.header('x-content-type-options', 'nosniff');
    if (!reply.hasHeader('referrer-policy')) reply.header('referrer-policy', 'same-origin');
    if (https) reply.header('strict-transport-security', 'max-age=31536000');
  };
  const app = Fastify({
    // A request is logged by its method, its route's pattern (never the path: /c/<token> is a
    // signed link) and its id; never its headers (the session cookie, tokens).
    loggerInstance: deps.logger.child(
      { role: 'web' },
      { serializers: { req: requestForLog, res: (reply: FastifyReply) => ({ statusCode: reply.statusCode }) } },
    ) as FastifyBaseLogger,
    // No line per request: confirmation links carry signed tokens, and health checks would drown the rest.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
    // An address Fastify cannot route (a broken %-escape, a path segment too long: a link damaged
    // when copied): a page in the person's language for a browser, Fastify's JSON for a program.
    // Refused before any route, so before the hooks: the security headers are set here.
    frameworkErrors: (error, req, reply) => {
      const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
      securityHeaders(req, reply as FastifyReply);
      if (wantsPage(req)) void sendClientErrorPage(req, reply, status, error.code);
      else void (reply as FastifyReply).code(status).send(error);
    },
    // Behind a proxy, the client's address and https come from X-Forwarded-* (only that many hops).
    ...(deps.config.TRUST_PROXY_HOPS
      ? { trustProxy: (_address: string, hop: number) => hop < deps.config.TRUST_PROXY_HOPS }
      : {}),
  });
  // Security headers on every answer (a route or scope that set its own keeps it: bull-board's
  // policy, the signed link's and the calendar feed's no-referrer).
  app.addHook('onSend', async (req, reply, payload) => {
    securityHeaders(req, reply);
    return payload;
  });
  // Every answer's duration, by the route's pattern (an unknown path counts as `unmatched`).
  app.addHook('onResponse', async (req, reply) => {
    deps.metrics.httpDuration.observe(
      {
        method: req.method,
        route: req.routeOptions?.url ?? 'unmatched',
        status: `${Math.floor(reply.statusCode / 100)}xx`,
      },
      reply.elapsedTime / 1000,
    );
  });
  // The pages' stylesheets: the policy allows styles from this site only.
  for (const [path, css] of [
    [STYLESHEET_PATH, STYLE],
    [CONFIRM_STYLESHEET_PATH, CONFIRM_STYLE],
  ] as const) {
    app.get(path, async (_req, reply) =>
      reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=86400').send(css),
    );
  }

  // Every 5xx outside the administrators' scope (which has its own handler): logged with the
  // request's id and the error itself (its stack), answered with a clear page, or JSON to a
  // program, that says nothing of the internals but the id to quote; in the person's language, as
  // a 4xx page is (their `lang` cookie, else their browser's). A 4xx (a form too large, of a
  // kind not read) is a page in the person's language to a browser, Fastify's answer to a program.
  app.setErrorHandler(async (error: Error & { statusCode?: number; code?: string }, req, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status < 500) return wantsPage(req) ? sendClientErrorPage(req, reply, status, error.code) : reply.send(error);
    req.log.error({ err: error, req, statusCode: status }, 'request failed');
    reply.code(status).header('cache-control', 'no-store');
    if (!wantsPage(req)) {
      return reply.type('application/json; charset=utf-8').send({
        ok: false,
        error: say(personLang(req), 'http.serverErrorJson'),
        requestId: req.id,
      });
    }
    const lang = personLang(req);
    return reply
      .type('text/html; charset=utf-8')
      .header('vary', 'Accept, Accept-Language, Cookie')
      .send(
        layout({
          title: say(lang, 'http.serverErrorTitle'),
          lang,
          body: html`<h1>${say(lang, 'http.serverErrorHeading')}</h1><p>${say(lang, 'http.serverErrorText')}</p><p class="muted">${say(lang, 'http.serverErrorRequestId')}: <code>${req.id}</code></p>`,
        }),
      );
  });

  // An address nothing answers (outside /admin, which has its own): a page in the person's
  // language to a browser; to a program, Fastify's own answer, as it was.
  app.setNotFoundHandler(async (req, reply) => {
    if (wantsPage(req)) return sendClientErrorPage(req, reply, 404);
    return reply
      .code(404)
      .send({ message: `Route ${req.raw.method}:${req.raw.url} not found`, error: 'Not Found', statusCode: 404 });
  });

  // Forms up to 2 MB: a whole plan pasted into the import page (uploads have their own limit).
  void app.register(formbody, { bodyLimit: FORM_MAX_BYTES });
  void app.register(async (scope) => {
    await registerAdmin(scope, deps, ADMIN_PAGES);
    await registerPublicPages(scope, deps);
  });

  // Liveness: the process answers (its event loop turns). An orchestrator restarts a process that
  // does not; a database or Redis outage is no reason to (the program retries on its own).
  app.get('/healthz', async (_req, reply) =>
    reply.header('cache-control', 'no-store').send({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) }),
  );

  // Readiness: PostgreSQL and Redis answer within 2 s (a load balancer sends no traffic before).
  app.get('/readyz', async (_req, reply) => {
    // A Redis connection that is down queues commands until it is back: answer 503 at once instead.
    const checks = await Promise.allSettled([
      withTimeout(deps.db.$queryRaw`SELECT 1`, 2_000),
      deps.redis.status === 'ready'
        ? withTimeout(deps.redis.ping(), 2_000)
        : Promise.reject(new Error(deps.redis.status)),
    ]);
    const [pg, redis] = checks.map((c) => c.status === 'fulfilled');
    return reply
      .code(pg && redis ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ postgres: pg ? 'ok' : 'down', redis: redis ? 'ok' : 'down' });
  });

  // Queue depths, open and overdue obligations and dependencies' health, measured at each scrape
  // (cheap, and answering even when Redis or PostgreSQL is down: src/metrics.ts).
  const scrape = observeAtScrape(deps.metrics, {
    db: deps.db,
    redis: deps.redis,
    prefix: deps.config.REDIS_PREFIX,
    clock: deps.clock,
    logger: deps.logger,
  });
  app.addHook('onClose', async () => scrape.close());
  // The metrics name every organisation: on this port only to the bearer of METRICS_TOKEN (without
  // it, not here at all: 404); else on METRICS_PORT, an address of their own (src/app.ts).
  const metricsToken = deps.config.METRICS_TOKEN;
  if (metricsToken) {
    app.get('/metrics', async (req, reply) => {
      if (!bearerMatches(req.headers.authorization, metricsToken)) {
        return reply
          .code(401)
          .header('www-authenticate', 'Bearer realm="metrics"')
          .type('text/plain; charset=utf-8')
          .send(METRICS_UNAUTHORIZED);
      }
      reply.header('content-type', deps.metrics.registry.contentType).header('cache-control', 'no-store');
      return deps.metrics.registry.metrics();
    });
  }

  async function load(token: string) {
    const check = verifyLink(token, deps.config.SECRET_KEY, deps.clock.now());
    if (!check.ok && check.reason === 'expired') {
      // Ours but too old: the page says so in the language of the contact it was sent to.
      const contact = await deps.db.contact.findUnique({
        where: { id: check.claims.contactId },
        select: { locale: true },
      });
      return { error: check.reason, ...(contact ? { lang: contact.locale } : {}) } as const;
    }
    if (!check.ok) return { error: check.reason } as const;
    const o = await deps.db.obligation.findUnique({
      where: { id: check.claims.obligationId },
      include: { unit: true, duty: { include: { plan: true } }, org: true },
    });
    const contact = await deps.db.contact.findUnique({ where: { id: check.claims.contactId } });
    if (!o || !contact) return { error: 'gone' } as const;
    // The link of a reminder to a cooperating unit (or to a contact since moved or deactivated):
    // only the responsible unit's active contacts confirm (the rule of confirmObligation).
    if (!contact.active || contact.unitId !== o.unitId)
      return { error: 'not-allowed', unit: o.unit.name, lang: contact.locale } as const;
    const summary: ObligationSummary = {
      unit: o.unit.name,
      dutyCode: o.duty.code,
      dutyTitle: o.duty.title,
      planCode: o.duty.plan.code,
      due: shortDate(zonedDay(dueInstant(o), o.org.timeZone)),
      contact: contact.name,
    };
    return { claims: check.claims, obligation: o, summary, lang: contact.locale } as const;
  }

  /**
   * The items of the email a link came in, as they stand now: the page after a confirmation is that
   * email's updated list, each open item with a fresh signed link of its own.
   */
  async function emailItems(claims: { obligationId: string; contactId: string }): Promise<DayItem[]> {
    const list = await dayListOf(deps.db, { ...claims, channel: 'email' });
    const exp = linkExpiry(deps.clock.now());
    return (list ?? []).map((i) => ({
      ...i,
      ...(i.open
        ? {
            url: `/c/${signLink({ obligationId: i.obligationId, contactId: claims.contactId, exp }, deps.config.SECRET_KEY)}`,
          }
        : {}),
    }));
  }

  /** The status of a link that cannot be used: expired 410, gone 404, another unit's duty 403, else 400. */
  const linkErrorStatus = (error: string) => ({ expired: 410, gone: 404, 'not-allowed': 403 })[error] ?? 400;

  /**
   * The page of a link that cannot be used, in one language: the one `?lang=` asks for (the page's
   * link to the other language), else the contact's when the link names one we know, else the one
   * the browser prefers (Vietnamese unless it prefers English). The page links to itself in the
   * other language.
   */
  const sendLinkError = (
    req: FastifyRequest,
    reply: FastifyReply,
    problem: { error: LinkProblem; unit?: string; lang?: Lang },
  ) => {
    const token = (req.params as { token: string }).token;
    const asked = langOfQuery((req.query as { lang?: unknown } | undefined)?.lang);
    const lang = asked ?? problem.lang ?? langOfAcceptLanguage(req.headers['accept-language']);
    const other: Lang = lang === 'en' ? 'vi' : 'en';
    return reply
      .code(linkErrorStatus(problem.error))
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('vary', 'Accept-Language')
      .send(
        linkErrorPage(problem.error, {
          lang,
          ...(problem.unit ? { unit: problem.unit } : {}),
          otherLanguage: `/c/${encodeURIComponent(token)}?lang=${other}`,
        }),
      );
  };

  app.get<{ Params: { token: string }; Querystring: { lang?: string } }>('/c/:token', async (req, reply) => {
    const r = await load(req.params.token);
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    if (r.error) return sendLinkError(req, reply, r);
    const form = indicatorForm(...(await linkIndicators(r)), `/c/${req.params.token}/chi-tieu`, [], r.lang);
    if (r.obligation.status !== 'open')
      return reply.send(withIndicators(confirmedPage(r.summary, true, await emailItems(r.claims), r.lang), form));
    return reply.send(withIndicators(confirmForm(r.summary, `/c/${req.params.token}`, r.lang), form));
  });

  /**
   * The unit's indicators of the obligation's year, when the link is a yearly report's (a report
   * duty): the link's page lets the contact send the values with the report.
   */
  async function linkIndicators(r: {
    obligation: { orgId: string; unitId: string; periodKey: string; duty: { origin: string } };
  }): Promise<[number, LinkIndicator[]]> {
    const year = Number(r.obligation.periodKey);
    if (r.obligation.duty.origin !== 'report' || !/^\d{4}$/.test(r.obligation.periodKey)) return [year, []];
    const items = await unitIndicators(deps.db, r.obligation.orgId, r.obligation.unitId, year);
    return [
      year,
      items.map((i) => ({
        id: i.id,
        ref: i.ref,
        title: i.title,
        rate: isRate(i.unit),
        target: i.target ? withUnit(i.target.value, i.unit) : null,
        reported: i.value ? valueText(i.value, i.unit) : null,
      })),
    ];
  }

  // The indicator values sent from the link's page: every filled value is checked first; one bad
  // value refuses them all (the page again, with what is wrong), nothing recorded.
  app.post<{ Params: { token: string }; Body: Record<string, unknown> | undefined }>(
    '/c/:token/chi-tieu',
    async (req, reply) => {
      const r = await load(req.params.token);
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
      if (r.error) return sendLinkError(req, reply, r);
      const [year, items] = await linkIndicators(r);
      const body = req.body ?? {};
      const text = (k: string) => (typeof body[k] === 'string' ? (body[k] as string).trim() : '');
      const filled = items.filter((i) => text(`value_${i.id}`));
      const problems = filled.flatMap((i) => {
        const parsed = parseIndicatorValue(text(`value_${i.id}`), i.rate);
        return parsed.ok
          ? []
          : [
              `${i.ref}. ${refusalText({ kind: 'value', problem: parsed.problem, typed: text(`value_${i.id}`) }, r.lang)}`,
            ];
      });
      const action = `/c/${req.params.token}/chi-tieu`;
      if (!filled.length) problems.push(say(r.lang, 'confirm.noValue'));
      if (problems.length)
        return reply
          .code(400)
          .send(
            withIndicators(
              confirmedPage(r.summary, r.obligation.status !== 'open', [], r.lang),
              indicatorForm(year, items, action, problems, r.lang),
            ),
          );
      const lines: string[] = [];
      for (const i of filled) {
        const out = await reportIndicatorValue(deps.db, {
          orgId: r.obligation.orgId,
          unitId: r.obligation.unitId,
          contactId: r.claims.contactId,
          actor: `contact:${r.claims.contactId}`,
          via: 'email',
          code: i.ref,
          year,
          value: text(`value_${i.id}`),
          note: text(`note_${i.id}`).slice(0, 1000) || null,
          now: deps.clock.now(),
        });
        lines.push(`${i.ref}. ${i.title}: ${out.text}`);
      }
      return reply.send(indicatorsSavedPage(r.summary, lines, r.lang));
    },
  );

  app.post<{ Params: { token: string }; Body: { note?: string } | undefined }>('/c/:token', async (req, reply) => {
    const r = await load(req.params.token);
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
    if (r.error) return sendLinkError(req, reply, r);
    const note = typeof req.body?.note === 'string' ? req.body.note.slice(0, 1000) : null;
    try {
      const outcome = await confirmObligation(deps.db, {
        obligationId: r.claims.obligationId,
        contactId: r.claims.contactId,
        actor: `contact:${r.claims.contactId}`,
        via: 'email',
        note,
        now: deps.clock.now(),
      });
      return reply.send(
        confirmedPage(r.summary, outcome.status === 'already-done', await emailItems(r.claims), r.lang),
      );
    } catch (error) {
      // Changed between the page and the press (the obligation deleted, the contact moved): a page, nothing changed.
      if (error instanceof NotFoundError) return sendLinkError(req, reply, { error: 'gone', lang: r.lang });
      if (error instanceof UserError)
        return sendLinkError(req, reply, { error: 'not-allowed', unit: r.summary.unit, lang: r.lang });
      throw error;
    }
  });

  return app;
}
