import { seedDemo } from '#root/services/demo.js';
import { createAdmin } from '#root/services/admins.js';
import type { Logger } from '#root/logger.js';
import type { ChannelAdapter } from '#root/channels/types.js';
import type { Channel } from '#root/generated/prisma/client.js';
import { startTestApp, type TestApp } from './app.js';
import { createTestDatabase, type TestDatabase } from './db.js';

export interface WebResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The Location of a redirect. */
  location: string | null;
}

/**
 * An HTTP client of the web role that keeps its cookies like a browser, and fills in the CSRF
 * token of the last administrator page it saw (unless the form already has `_csrf`).
 */
export class WebClient {
  readonly cookies = new Map<string, string>();
  csrf = '';
  constructor(readonly base: string) {}

  private remember(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => /max-age=0/i.test(a) || /expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  private cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(
    method: string,
    path: string,
    init: { body?: string | FormData; headers?: Record<string, string> } = {},
  ): Promise<WebResponse> {
    const res = await fetch(new URL(path, this.base), {
      method,
      redirect: 'manual',
      headers: { ...(this.cookies.size ? { cookie: this.cookieHeader() } : {}), ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    this.remember(res);
    const text = await res.text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(text)?.[1];
    if (csrf && path !== '/login') this.csrf = csrf;
    return { status: res.status, headers: res.headers, text, location: res.headers.get('location') };
  }

  get(path: string) {
    return this.request('GET', path);
  }

  /** A urlencoded form, with the session's CSRF token unless `_csrf` is given (null: none at all). */
  post(path: string, form: Record<string, string | null> = {}) {
    const body = new URLSearchParams();
    if (!('_csrf' in form)) body.set('_csrf', this.csrf);
    for (const [k, v] of Object.entries(form)) if (v !== null) body.set(k, v);
    return this.request('POST', path, {
      body: body.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  }

  /** A multipart form with one file, the CSRF token first. */
  upload(
    path: string,
    fields: Record<string, string>,
    file: { field: string; name: string; type: string; data: Buffer },
  ) {
    const form = new FormData();
    if (!('_csrf' in fields)) form.set('_csrf', this.csrf);
    for (const [k, v] of Object.entries(fields)) form.set(k, v);
    form.set(file.field, new Blob([new Uint8Array(file.data)], { type: file.type }), file.name);
    return this.request('POST', path, { body: form });
  }

  /** Logs in through the login form, as a browser would. */
  async login(email: string, password: string): Promise<WebResponse> {
    const page = await this.get('/login');
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    const res = await this.post('/login', { _csrf: token, email, password, next: '/admin' });
    if (res.status === 303) await this.get('/admin');
    return res;
  }
}

export interface WebTest {
  t: TestDatabase;
  s: TestApp;
  base: string;
  orgId: string;
  admin: { email: string; password: string };
  /** A client already logged in as the administrator. */
  client: WebClient;
  /** A fresh client, logged in or not. */
  newClient(): WebClient;
  stop(): Promise<void>;
}

export const TEST_ADMIN = { email: 'quantri@sotttt.example.vn', password: 'mat-khau-thu-nghiem-1' };

/**
 * The web role over a test database seeded with the demo (the HCMC plan, its units and sandbox
 * contacts), an administrator account, and a client logged in as it.
 */
export async function startWebTest(
  options: {
    start?: Date;
    env?: Record<string, string>;
    logger?: Logger;
    roles?: ('web' | 'worker')[];
    channels?: Partial<Record<Channel, ChannelAdapter>>;
  } = {},
): Promise<WebTest> {
  const t = await createTestDatabase();
  const start = options.start ?? new Date('2026-11-16T02:00:00Z');
  // Every period tracked: the pages' tests need the demo's past periods open and overdue (a demo
  // seeded by `npm start` is tracked from its seeding day: test/integration/reimport-track-from.test.ts).
  await seedDemo(t.prisma, {
    orgCode: 'hcm',
    timeZone: 'Asia/Ho_Chi_Minh',
    now: start,
    actor: 'test',
    trackFrom: null,
  });
  const org = await t.prisma.organisation.findUniqueOrThrow({ where: { code: 'hcm' } });
  await createAdmin(
    t.prisma,
    org.id,
    { email: TEST_ADMIN.email, name: 'Chị Quản Trị', password: TEST_ADMIN.password },
    'test',
  );
  const s = await startTestApp(t, {
    start,
    roles: options.roles ?? ['web'],
    ...(options.env ? { env: options.env } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.channels ? { channels: options.channels } : {}),
  });
  const base = s.app.address()!;
  const client = new WebClient(base);
  const res = await client.login(TEST_ADMIN.email, TEST_ADMIN.password);
  if (res.status !== 303) throw new Error(`login failed: ${res.status} ${res.text.slice(0, 300)}`);
  return {
    t,
    s,
    base,
    orgId: org.id,
    admin: TEST_ADMIN,
    client,
    newClient: () => new WebClient(base),
    async stop() {
      await s.stop();
      await t.close();
    },
  };
}

/** The duty with the most open obligations still ahead (the demo's, at the test's clock), and how many units have one. */
export async function busiestDutyAhead(w: WebTest): Promise<{ id: string; code: string; units: number }> {
  const [top] = await w.t.prisma.obligation.groupBy({
    by: ['dutyId'],
    where: { orgId: w.orgId, status: 'open', current: true, dueAt: { gt: w.s.clock.now() } },
    _count: { unitId: true },
    orderBy: { _count: { unitId: 'desc' } },
    take: 1,
  });
  if (!top) throw new Error('no open obligation ahead in the demo');
  const duty = await w.t.prisma.duty.findUniqueOrThrow({ where: { id: top.dutyId } });
  return { id: duty.id, code: duty.code, units: top._count.unitId };
}
