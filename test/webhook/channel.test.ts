import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryError, type OutgoingMessage, type Recipient } from '#root/channels/types.js';
import { createWebhookChannel, type WebhookChannelOptions } from '#root/channels/webhook/index.js';
import { createWebhookLimiter, type WebhookLimiter } from '#root/channels/webhook/limiter.js';
import { retryAfterSeconds } from '#root/channels/webhook/transport.js';
import type { WebhookPayload } from '#root/channels/webhook/payload.js';
import { generateWebhookSecret } from '#root/channels/webhook/signature.js';
import { refusalInWords } from '#root/messages/refusal-words.js';
import { startReceiver, type Receiver } from './receiver.js';

const secret = generateWebhookSecret();
let serial = 0;

const contact = (): Recipient => ({
  contactId: `contact-${++serial}`,
  name: 'Văn phòng Sở Y tế',
  locale: 'vi',
  email: null,
  telegramChatId: null,
  zaloUserId: null,
});

const bundle = (): OutgoingMessage => ({
  orgId: 'org-1',
  ref: { reminderId: `reminder-${++serial}`, bundleId: `bundle-${serial}` },
  subject: 'Việc cần anh/chị hôm nay 07/12/2026: 2 việc',
  text: 'Việc cần anh/chị hôm nay 07/12/2026: 2 việc\n\nQUÁ HẠN\n• 4.2-2026Q4 «Diễn tập»',
  items: [
    { obligationId: 'o-1', code: '4.2-2026Q4', actions: true },
    { obligationId: 'o-2', code: 'Q.1-2026-11', actions: false },
  ],
});

/** What a send threw, as a DeliveryError (fails the test if it did not throw one). */
async function failure(p: Promise<unknown>): Promise<DeliveryError> {
  try {
    await p;
  } catch (error) {
    if (error instanceof DeliveryError) return error;
    throw error;
  }
  throw new Error('the send succeeded');
}

describe('the webhook channel, against a real receiver', () => {
  let rx: Receiver;
  /** A second receiver on another port of 127.0.0.1, not on the allow list. */
  let other: Receiver;

  beforeAll(async () => {
    rx = await startReceiver(secret);
    other = await startReceiver(secret);
  });
  afterAll(async () => {
    await rx?.close();
    await other?.close();
  });

  const channel = (url: string, extra: Partial<WebhookChannelOptions> = {}) =>
    createWebhookChannel({
      address: async () => ({ url, secret }),
      allow: [{ host: '127.0.0.1', port: rx.port }],
      ...extra,
    });
  const since = () => {
    const start = rx.received.length;
    return () => rx.received.slice(start);
  };

  it('POSTs the bundle once as signed JSON, with its id as the idempotency key', async () => {
    const got = since();
    const to = contact();
    const message = bundle();
    const result = await channel(rx.url('/dondoc?nguon=1')).send(to, message);
    const [request, ...more] = got();
    expect(more).toEqual([]);
    expect(request!.path).toBe('/dondoc?nguon=1');
    expect(request!.verified.ok).toBe(true);
    const payload = JSON.parse(request!.body) as WebhookPayload;
    expect(payload).toEqual({
      type: 'dondoc.reminder_bundle',
      version: 1,
      id: 'bundleId' in message.ref ? message.ref.bundleId : undefined,
      org: 'org-1',
      contact: { id: to.contactId, name: 'Văn phòng Sở Y tế' },
      language: 'vi',
      sentAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      subject: message.subject,
      text: message.text,
      items: message.items,
    });
    expect(result.externalId).toBe(payload.id);
    expect(request!.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(request!.headers['dondoc-event-id']).toBe(payload.id);
    expect(request!.headers['idempotency-key']).toBe(payload.id);
    expect(request!.headers['dondoc-event-type']).toBe('dondoc.reminder_bundle');
    // The signature's time is the payload's sentAt.
    expect(request!.verified.ok && request!.verified.timestamp).toBe(Math.floor(Date.parse(payload.sentAt) / 1_000));
  });

  it('sends a digest as dondoc.digest, without items', async () => {
    const got = since();
    await channel(rx.url()).send(contact(), { orgId: 'org-1', ref: { digestId: 'digest-1' }, subject: 'S', text: 'T' });
    const payload = JSON.parse(got()[0]!.body) as WebhookPayload;
    expect(payload).toMatchObject({ type: 'dondoc.digest', id: 'digest-1', items: [] });
  });

  it('makes a 500 temporary: the retry delivers, with the same id', async () => {
    const got = since();
    const ch = channel(rx.url());
    const to = contact();
    const message = bundle();
    rx.answer({ status: 500 });
    const error = await failure(ch.send(to, message));
    expect(error).toMatchObject({ permanent: false, outcomeUnknown: false, message: 'Webhook 500' });
    await ch.send(to, message);
    const requests = got();
    expect(requests).toHaveLength(2);
    expect(requests.every((r) => r.verified.ok)).toBe(true);
    expect(new Set(requests.map((r) => r.headers['dondoc-event-id'])).size).toBe(1);
  });

  it('treats no answer in time as an unknown outcome, and gives the message up after a few', async () => {
    const got = since();
    const ch = channel(rx.url(), { timeoutMs: 1_500, giveUpAfter: 3 });
    const to = contact();
    const message = bundle();
    rx.answer({ hang: true }, { hang: true }, { hang: true });
    const first = await failure(ch.send(to, message));
    expect(first).toMatchObject({ permanent: false, outcomeUnknown: true });
    expect(first.message).toMatch(/no answer within 1500 ms/);
    expect(await failure(ch.send(to, message))).toMatchObject({ permanent: false, outcomeUnknown: true });
    // The third failure in a row: given up on this channel (the next one takes it), address kept.
    const last = await failure(ch.send(to, message));
    expect(last).toMatchObject({ permanent: true, scope: 'message' });
    expect(last.message).toMatch(/failed 3 times in a row/);
    expect(got()).toHaveLength(3);
  });

  it.each([401, 403, 404, 410])('makes a %i permanent for the address', async (status) => {
    rx.answer({ status });
    const error = await failure(channel(rx.url()).send(contact(), bundle()));
    expect(error).toMatchObject({
      permanent: true,
      scope: 'address',
      message: expect.stringMatching(`^Webhook ${status}`),
    });
  });

  it.each([400, 413, 422])('makes a %i permanent for this message only', async (status) => {
    rx.answer({ status });
    const error = await failure(channel(rx.url()).send(contact(), bundle()));
    expect(error).toMatchObject({ permanent: true, scope: 'message' });
  });

  it('honours a 429 Retry-After: no call before it, pace waits a short one and refuses a long one', async () => {
    const got = since();
    const limiter = createWebhookLimiter();
    const ch = channel(rx.url(), { limiter });
    const to = contact();
    const message = bundle();
    rx.answer({ status: 429, headers: { 'retry-after': '1' } });
    expect(await failure(ch.send(to, message))).toMatchObject({ permanent: false, message: 'Webhook 429' });
    // Before the time: refused here, the receiver is not called.
    expect(await failure(ch.send(to, message))).toMatchObject({ permanent: false });
    expect(got()).toHaveLength(1);
    const started = Date.now();
    await ch.pace!(to);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    await ch.send(to, message);
    expect(got()).toHaveLength(2);

    rx.answer({ status: 429, headers: { 'retry-after': '120' } });
    await failure(ch.send(contact(), bundle()));
    const waited = Date.now();
    expect(await failure(ch.pace!(to))).toMatchObject({ permanent: false });
    expect(Date.now() - waited).toBeLessThan(5_000);
  });

  it('paces until the limiter lets the host be called, not until a timer says so, and the send goes', async () => {
    // The limiter's clock here is 250 ms behind the timers': what a timer that fires before
    // `Date.now()` reaches its time sees (timers keep the monotonic clock; by a millisecond, often).
    const got = since();
    const limiter = createWebhookLimiter({ now: () => Date.now() - 250 });
    // The 429 counts once: one refusal more after `pace` would give the message up.
    const ch = channel(rx.url(), { limiter, giveUpAfter: 2 });
    const to = contact();
    const message = bundle();
    rx.answer({ status: 429, headers: { 'retry-after': '1' } });
    expect(await failure(ch.send(to, message))).toMatchObject({ permanent: false, message: 'Webhook 429' });
    await ch.pace!(to);
    expect(limiter.notBefore(`127.0.0.1:${rx.port}`)).toBeUndefined();
    await ch.send(to, message);
    expect(got()).toHaveLength(2);
  });

  it('does not count a send refused without a request (the host’s wait pending) as a failure of the message', async () => {
    const got = since();
    const limiter = createWebhookLimiter();
    // The 429 is the one failure; a second would give the message up.
    const ch = channel(rx.url(), { limiter, giveUpAfter: 2 });
    const to = contact();
    const message = bundle();
    rx.answer({ status: 429, headers: { 'retry-after': '1' } });
    expect(await failure(ch.send(to, message))).toMatchObject({ permanent: false, message: 'Webhook 429' });
    // Refused before the time, again and again: no request, and the message is not given up.
    for (let i = 0; i < 3; i++) {
      const refusal = await failure(ch.send(to, message));
      expect(refusal.permanent, `refusal ${i + 1}`).toBe(false);
      expect(refusal.message).toMatch(/asked to wait until .* \(429\)$/);
    }
    expect(got()).toHaveLength(1);
    await ch.pace!(to);
    await ch.send(to, message);
    expect(got()).toHaveLength(2);
    expect(got()[1]!.headers['idempotency-key']).toBe(got()[0]!.headers['idempotency-key']);
  });

  it('gives a message up after giveUpAfterWaits refusals in a row without a request, never calling the host', async () => {
    const got = since();
    const limiter = createWebhookLimiter();
    const ch = channel(rx.url(), { limiter, giveUpAfter: 5, giveUpAfterWaits: 3 });
    rx.answer({ status: 429, headers: { 'retry-after': '120' } });
    await failure(ch.send(contact(), bundle()));
    const to = contact();
    const message = bundle();
    expect(await failure(ch.send(to, message))).toMatchObject({ permanent: false });
    expect(await failure(ch.send(to, message))).toMatchObject({ permanent: false });
    const last = await failure(ch.send(to, message));
    expect(last).toMatchObject({ permanent: true, scope: 'message' });
    expect(last.message).toMatch(/refused 3 times in a row without a request, sent by the next channel$/);
    expect(refusalInWords(last.message, 'en')).toMatch(/^the receiving system kept asking to wait .* — ask /);
    expect(got()).toHaveLength(1);
  });

  it('paces out a 429 answered to another send while it waits, within its bound', async () => {
    const got = since();
    const host = `127.0.0.1:${rx.port}`;
    const limiter = createWebhookLimiter();
    let pacing = false;
    let again: number | undefined;
    // Once `pace` has read the host's wait and sleeps, another send to the host is answered 429.
    const watched: WebhookLimiter = {
      ...limiter,
      notBefore: (h) => (read(), limiter.notBefore(h)),
      waitLeft: (h) => (read(), limiter.waitLeft(h)),
    };
    function read() {
      if (!pacing || again !== undefined) return;
      again = Date.now() + 2_000;
      setImmediate(() => limiter.wait(host, 2));
    }
    const ch = channel(rx.url(), { limiter: watched, maxPaceWaitMs: 5_000 });
    const to = contact();
    rx.answer({ status: 429, headers: { 'retry-after': '1' } });
    await failure(ch.send(to, bundle()));
    pacing = true;
    await ch.pace!(to);
    expect(again).toBeDefined();
    expect(Date.now()).toBeGreaterThanOrEqual(again!);
    await ch.send(to, bundle());
    expect(got()).toHaveLength(2);
  });

  describe('redirects', () => {
    it('follows a 307 or 308 to an allowed host with the same signed POST', async () => {
      const got = since();
      rx.answer({ redirect: rx.url('/moved'), status: 308 });
      await channel(rx.url('/old')).send(contact(), bundle());
      const [first, second] = got();
      expect([first!.path, second!.path]).toEqual(['/old', '/moved']);
      expect(second!.body).toBe(first!.body);
      expect(second!.verified.ok).toBe(true);
    });

    it.each([
      ['the cloud metadata service', 'http://169.254.169.254/latest/meta-data/', /link-local/],
      ['a private network', 'http://10.0.0.1/hook', /private network/],
      ['an IPv4-mapped address', 'http://[::ffff:127.0.0.1]:80/', /IPv4-mapped/],
    ])('refuses for good a redirect to %s', async (_, location, words) => {
      rx.answer({ redirect: location });
      const error = await failure(channel(rx.url()).send(contact(), bundle()));
      expect(error).toMatchObject({ permanent: true, scope: 'address' });
      expect(error.message).toMatch(/^Webhook refused: redirect to /);
      expect(error.message).toMatch(words);
    });

    it('refuses a redirect to a port of 127.0.0.1 that is not allowed, which gets nothing', async () => {
      const before = other.received.length;
      rx.answer({ redirect: other.url() });
      const error = await failure(channel(rx.url()).send(contact(), bundle()));
      expect(error).toMatchObject({ permanent: true, scope: 'address' });
      expect(error.message).toMatch(
        /^Webhook refused: redirect to 127\.0\.0\.1:\d+ refused: it resolves to a loopback/,
      );
      expect(other.received.length).toBe(before);
      rx.answer({ redirect: other.url().replace('http:', 'https:') });
      const tls = await failure(channel(rx.url()).send(contact(), bundle()));
      expect(tls.message).toMatch(/loopback/);
      expect(other.received.length).toBe(before);
    });

    it('stops after three redirects', async () => {
      const got = since();
      rx.answer(...[1, 2, 3, 4].map((n) => ({ redirect: rx.url(`/r${n}`) })));
      const error = await failure(channel(rx.url('/r0')).send(contact(), bundle()));
      expect(error).toMatchObject({ permanent: true, scope: 'address' });
      expect(error.message).toMatch(/more than 3 redirects/);
      expect(got()).toHaveLength(4);
    });

    it('does not follow a 303 (it would turn the POST into a GET)', async () => {
      rx.answer({ redirect: rx.url('/see'), status: 303 });
      const error = await failure(channel(rx.url()).send(contact(), bundle()));
      expect(error).toMatchObject({ permanent: true, scope: 'address' });
      expect(error.message).toMatch(/HTTP 303 redirect not followed/);
    });
  });

  describe('names', () => {
    it('connects to the address it checked (pinned), with the name in the Host header', async () => {
      const got = since();
      const lookups: string[] = [];
      const ch = channel(`http://vanban.tinh.test:${rx.port}/hook`, {
        allow: [{ host: 'vanban.tinh.test', port: rx.port }],
        resolve: async (host) => {
          lookups.push(host);
          return [{ address: '127.0.0.1', family: 4 }];
        },
      });
      await ch.send(contact(), bundle());
      expect(lookups).toEqual(['vanban.tinh.test']);
      expect(got()[0]!.headers.host).toBe(`vanban.tinh.test:${rx.port}`);
    });

    it('refuses a public name that resolves to a private address, even among public ones', async () => {
      for (const addresses of [
        [{ address: '10.0.0.5', family: 4 }],
        [
          { address: '203.162.4.190', family: 4 },
          { address: '169.254.169.254', family: 4 },
        ],
        [{ address: 'fd00::5', family: 6 }],
      ]) {
        const ch = channel('https://vanban.tinh.gov.vn/hook', { resolve: async () => addresses });
        const error = await failure(ch.send(contact(), bundle()));
        expect(error).toMatchObject({ permanent: true, scope: 'address' });
        expect(error.message).toMatch(/^Webhook refused: vanban\.tinh\.gov\.vn refused: it resolves to /);
      }
    });

    it('refuses plain http to a public host that is not allowed', async () => {
      const ch = channel('http://vanban.tinh.gov.vn/hook', {
        resolve: async () => [{ address: '203.162.4.190', family: 4 }],
      });
      const error = await failure(ch.send(contact(), bundle()));
      expect(error).toMatchObject({ permanent: true, scope: 'address' });
      expect(error.message).toBe('Webhook refused: plain http refused: https required for vanban.tinh.gov.vn');
    });

    it('retries a name that does not resolve, as nothing was sent', async () => {
      const ch = channel('https://khong-co.tinh.gov.vn/hook', {
        resolve: async () => {
          throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
        },
      });
      expect(await failure(ch.send(contact(), bundle()))).toMatchObject({ permanent: false, outcomeUnknown: false });
    });
  });

  it('refuses a contact without an address, and an address not allowed, for good', async () => {
    const none = createWebhookChannel({ address: async () => null });
    expect(await failure(none.send(contact(), bundle()))).toMatchObject({ permanent: true, scope: 'address' });
    const plain = channel(other.url());
    const error = await failure(plain.send(contact(), bundle()));
    expect(error).toMatchObject({ permanent: true, scope: 'address' });
    expect(error.message).toMatch(/loopback/);
  });
});

describe('the per-host limit', () => {
  it('lets at most perHost requests to one host run at once, others hosts apart', async () => {
    const limiter = createWebhookLimiter({ perHost: 2 });
    let running = 0;
    let peak = 0;
    const gates: (() => void)[] = [];
    const task = () =>
      new Promise<void>((resolve) => {
        running++;
        peak = Math.max(peak, running);
        gates.push(() => {
          running--;
          resolve();
        });
      });
    const runs = Array.from({ length: 5 }, () => limiter.run('a.gov.vn', task));
    const elsewhere = limiter.run('b.gov.vn', task);
    await new Promise((r) => setImmediate(r));
    expect(running).toBe(3);
    while (gates.length) {
      gates.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all([...runs, elsewhere]);
    expect(peak).toBe(3);
  });

  it('remembers a wait until its time, capped', () => {
    let now = 1_000_000;
    const limiter = createWebhookLimiter({ maxWaitSeconds: 60, now: () => now });
    limiter.wait('a.gov.vn', 10_000);
    expect(limiter.notBefore('a.gov.vn')).toBe(1_000_000 + 60_000);
    expect(limiter.waitLeft('a.gov.vn')).toBe(60_000);
    now += 59_000;
    expect(limiter.waitLeft('a.gov.vn')).toBe(1_000);
    now += 1_001;
    expect(limiter.notBefore('a.gov.vn')).toBeUndefined();
    expect(limiter.waitLeft('a.gov.vn')).toBeUndefined();
  });
});

describe('Retry-After', () => {
  it('reads seconds or an HTTP date, and ignores what it cannot read', () => {
    const now = Date.UTC(2026, 11, 7, 1, 30, 0);
    expect(retryAfterSeconds('120', now)).toBe(120);
    expect(retryAfterSeconds(' 0 ', now)).toBe(0);
    expect(retryAfterSeconds(new Date(now + 90_000).toUTCString(), now)).toBe(90);
    expect(retryAfterSeconds(new Date(now - 90_000).toUTCString(), now)).toBe(0);
    expect(retryAfterSeconds('soon', now)).toBeUndefined();
    expect(retryAfterSeconds(undefined, now)).toBeUndefined();
    expect(retryAfterSeconds(['5', '7'], now)).toBe(5);
  });
});
