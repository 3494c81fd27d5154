import type { FastifyInstance } from 'fastify';
import type { Lang } from '#root/domain/wording.js';
import { calendarFeed } from '#root/services/calendar.js';
import type { WebDeps } from '../server.js';

/**
 * The units' iCalendar feeds: `GET /ical/<token>.ics`, public (a calendar application cannot
 * log in), the unit's secret token being the only key. Computed on each request: a confirmation
 * shows at the calendar's next refresh. A wrong token gets a short 404 and nothing else.
 */
export function registerCalendarFeed(app: FastifyInstance, deps: WebDeps): void {
  app.get<{ Params: { file: string }; Querystring: { lang?: string } }>('/ical/:file', async (req, reply) => {
    const file = req.params.file;
    // The feed is a unit's, read by each of its people: Vietnamese, or English with `?lang=en`.
    const lang: Lang = req.query.lang === 'en' ? 'en' : 'vi';
    const feed = file.endsWith('.ics') ? await calendarFeed(deps.db, file.slice(0, -4), deps.clock.now(), lang) : null;
    // The URL is the secret: no referrer leaves with it, no cache keeps it.
    void reply
      .header('cache-control', 'no-cache')
      .header('referrer-policy', 'no-referrer')
      .header('x-robots-tag', 'noindex')
      .header('x-content-type-options', 'nosniff');
    if (!feed)
      return reply
        .code(404)
        .type('text/plain; charset=utf-8')
        .send(
          lang === 'vi'
            ? 'Không có lịch này (địa chỉ sai hoặc đã được đổi).\n'
            : 'There is no such calendar (the address is wrong or was replaced).\n',
        );
    return reply
      .type('text/calendar; charset=utf-8')
      .header('content-disposition', 'inline; filename="dondoc.ics"')
      .send(feed.ics);
  });
}
