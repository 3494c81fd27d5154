import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '#root/logger.js';
import { startWebTest, type WebTest } from '../helpers/web.js';

interface LogLine {
  level: number;
  msg: string;
  reqId?: string;
  err?: { message?: string; stack?: string; type?: string };
  req?: { method?: string; route?: string | null };
  statusCode?: number;
}

/**
 * A 5xx outside the administrators' pages (the public calendar feed here, while its table is
 * gone): logged with the request's id and the error's stack, answered with a clear page (or JSON to
 * a program) that says nothing of the internals but the id to quote.
 */
describe('a server error outside /admin', () => {
  let w: WebTest;
  const lines: string[] = [];
  const logged = () => lines.map((l) => JSON.parse(l) as LogLine);
  beforeAll(async () => {
    w = await startWebTest({
      logger: createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } }),
    });
    // The feed's query fails: its table is not there.
    await w.t.prisma.$executeRawUnsafe('ALTER TABLE units RENAME TO units_gone');
  }, 60_000);
  afterAll(async () => {
    await w?.t.prisma.$executeRawUnsafe('ALTER TABLE units_gone RENAME TO units').catch(() => undefined);
    await w?.stop();
  });

  it('is logged with the request id and the error (its stack), and the person gets a clear page', async () => {
    const token = 'secret-calendar-token-of-a-unit-0123456789a';
    expect(token).toHaveLength(43); // the shape of a feed's token, so that the database is asked
    const res = await fetch(`${w.base}/ical/${token}.ics`, { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toContain('text/html');
    const page = await res.text();
    expect(page).toContain('Có lỗi phía máy chủ');
    expect(page).not.toMatch(/units|prisma|at \S+ \(|\.ts:\d+/i);

    const line = logged().find((l) => l.msg === 'request failed');
    expect(line, lines.join('\n')).toBeDefined();
    expect(line!.level).toBe(50);
    expect(line!.reqId).toMatch(/\S/);
    expect(page).toContain(line!.reqId!);
    expect(line!.err?.stack).toMatch(/units/);
    expect(line!.req).toMatchObject({ method: 'GET', route: '/ical/:file' });
    expect(line!.statusCode).toBe(500);
    // The path's secret is not in the log: the route's pattern is.
    expect(lines.join('\n')).not.toContain(token);
  });

  it("speaks the person's language as a 4xx page does: their cookie, else their browser's", async () => {
    const url = `${w.base}/ical/${'y'.repeat(43)}.ics`;
    const english = await fetch(url, { headers: { accept: 'text/html', 'accept-language': 'en-GB,en;q=0.9' } });
    expect(english.status).toBe(500);
    expect(english.headers.get('vary')).toMatch(/Accept-Language/);
    const page = await english.text();
    expect(page).toContain('<html lang="en"');
    expect(page).toContain('Something went wrong on the server');
    expect(page).not.toContain('Có lỗi phía máy chủ');
    // The cookie, the person's own choice, comes before the browser's.
    const chosen = await fetch(url, {
      headers: { accept: 'text/html', 'accept-language': 'en', cookie: 'lang=vi' },
    });
    expect(await chosen.text()).toContain('Có lỗi phía máy chủ');
    const program = await fetch(url, { headers: { 'accept-language': 'en' } });
    expect(((await program.json()) as { error: string }).error).toBe('A server error; it was logged.');
    const vietnamese = await fetch(url);
    expect(((await vietnamese.json()) as { error: string }).error).toBe('Lỗi máy chủ; lỗi đã được ghi lại.');
  });

  it('answers a program with JSON naming the request id, nothing more', async () => {
    const res = await fetch(`${w.base}/ical/${'x'.repeat(43)}.ics`);
    expect(res.status).toBe(500);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['error', 'ok', 'requestId']);
    expect(JSON.stringify(body)).not.toMatch(/units|prisma/i);
    expect(
      logged()
        .filter((l) => l.msg === 'request failed')
        .map((l) => l.reqId),
    ).toContain(body.requestId);
  });
});
