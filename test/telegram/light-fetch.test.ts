import http from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import zlib from 'node:zlib';
import { Api, GrammyError, HttpError } from 'grammy';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CallAborted,
  CallNotSent,
  CallTimedOut,
  createReminderApi,
  IDLE_CONNECTION_MS,
  lightFetch,
  post,
  reminderPool,
  reminderClientOptions,
} from '#root/channels/telegram/fetch.js';
import { createTelegramChannel } from '#root/channels/telegram/index.js';
import { createTelegramLimiter } from '#root/channels/telegram/limiter.js';
import { DeliveryError, type OutgoingMessage, type Recipient } from '#root/channels/types.js';
import { waitFor } from '../helpers/processes.js';
import { startFakeTelegram, type FakeTelegram } from '../helpers/telegram-server.js';

const TOKEN = '123456:TEST-token_abcdefghijklmnop';

/**
 * A Bot API server whose answer to each call is written by the test (`answer`, in order; the last
 * one for every later call), with the connections it saw: what Telegram or a network in between can
 * do to a call that node-fetch used to handle for the reminders' client.
 */
async function startScriptedServer() {
  type Answer = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;
  const answers: Answer[] = [];
  const bodies: string[] = [];
  const sockets = new Set<Socket>();
  let closedSockets = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      bodies.push(body);
      const answer = answers.length > 1 ? answers.shift()! : answers[0]!;
      answer(req, res, body);
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => closedSockets++);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    root: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    answers,
    bodies,
    /** Keep an idle connection open this long (Node's servers say `Keep-Alive: timeout=5`, and close after 5 s). */
    keepIdleFor: (ms: number) => {
      server.keepAliveTimeout = ms;
    },
    /** Connections opened so far, and closed. */
    connections: () => ({ opened: sockets.size, closed: closedSockets }),
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

const sent = (chatId: number, text: string) => ({
  ok: true,
  result: { message_id: 1, date: 0, chat: { id: chatId, type: 'private' }, text },
});
const json =
  (status: number, value: unknown): Parameters<Awaited<ReturnType<typeof startScriptedServer>>['answers']['push']>[0] =>
  (_req, res) => {
    const text = JSON.stringify(value);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

const JSON_HEADERS = ['content-type', 'application/json'];

const to: Recipient = {
  contactId: 'c',
  name: 'Người 1',
  locale: 'vi',
  email: null,
  telegramChatId: 7100n,
  zaloUserId: null,
};
const message: OutgoingMessage = { orgId: 'o', ref: { reminderId: 'r' }, subject: 'Nhắc', text: 'Nhắc hạn' };
const failure = (p: Promise<unknown>) =>
  p.then(
    () => expect.unreachable(),
    (e: unknown) => e,
  );
const channelOver = (root: string, timeoutSeconds = 30) =>
  createTelegramChannel({ token: TOKEN, apiRoot: root, timeoutSeconds, limiter: createTelegramLimiter() });

/** The reminders' Telegram client over `lightFetch`: what grammY needs of a `fetch`, and every failure. */
describe('the reminders’ light fetch for grammY', () => {
  let tg: FakeTelegram;
  beforeAll(async () => {
    tg = await startFakeTelegram({ limits: false });
  });
  afterAll(async () => {
    await tg.close();
  });

  it('sends JSON calls and reads their answers, text and buttons intact, on one connection', async () => {
    const api = new Api(TOKEN, { apiRoot: tg.apiRoot, ...reminderClientOptions() });
    const keyboard = { inline_keyboard: [[{ text: '✅ BC-1', callback_data: 'd:1' }]] };
    const messages = [];
    for (let i = 0; i < 3; i++)
      messages.push(
        await api.sendMessage(7001, `Nhắc <b>việc</b> ${i}: “Quý IV/2026”`, {
          parse_mode: 'HTML',
          reply_markup: keyboard,
        }),
      );
    expect(messages.map((m) => m.chat.id)).toEqual([7001, 7001, 7001]);
    expect(new Set(messages.map((m) => m.message_id)).size).toBe(3);
    const got = tg.sent(7001);
    expect(got.map((m) => m.text)).toEqual([0, 1, 2].map((i) => `Nhắc <b>việc</b> ${i}: “Quý IV/2026”`));
    expect(got[0]!.reply_markup).toEqual(keyboard);
    expect(got[0]!.parse_mode).toBe('HTML');
  });

  it('makes sendMessage itself as grammY would (nulls left out), other methods through grammY’s caller', async () => {
    const s = await startScriptedServer();
    try {
      s.answers.push((req, res, body) =>
        json(200, req.url!.endsWith('/getMe') ? { ok: true, result: { id: 1, is_bot: true } } : sent(7100, 'x'))(
          req,
          res,
          body,
        ),
      );
      const api = createReminderApi(TOKEN, { apiRoot: s.root, timeoutSeconds: 30 });
      await api.sendMessage(7100, 'Nhắc “việc”', { parse_mode: 'HTML', reply_markup: null as never });
      expect(JSON.parse(s.bodies[0]!)).toEqual({ chat_id: 7100, text: 'Nhắc “việc”', parse_mode: 'HTML' });
      await expect(api.getMe()).resolves.toMatchObject({ id: 1 });
      expect(s.bodies).toHaveLength(2);
    } finally {
      await s.close();
    }
  });

  it('gives a caller’s abort back as grammY’s HttpError, sending nothing', async () => {
    const s = await startScriptedServer();
    try {
      s.answers.push(json(200, sent(7100, 'x')));
      const api = createReminderApi(TOKEN, { apiRoot: s.root, timeoutSeconds: 30 });
      const controller = new AbortController();
      controller.abort();
      const error = await failure(api.sendMessage(7100, 'x', {}, controller.signal as never));
      expect(error).toBeInstanceOf(HttpError);
      expect((error as HttpError).error).toBeInstanceOf(CallNotSent);
      expect(((error as HttpError).error as CallNotSent).cause).toBeInstanceOf(CallAborted);
      expect(s.bodies).toHaveLength(0);
    } finally {
      await s.close();
    }
  });

  it('gives up at once on a call a caller aborts in flight, closing its connection', async () => {
    const s = await startScriptedServer();
    try {
      s.answers.push(() => undefined); // held: never answered
      const api = createReminderApi(TOKEN, { apiRoot: s.root, timeoutSeconds: 30 });
      const controller = new AbortController();
      const call = failure(api.sendMessage(7100, 'x', {}, controller.signal as never));
      await waitFor(async () => s.bodies.length === 1, 60_000, 'the call arrived');
      controller.abort();
      const error = await call;
      expect(error).toBeInstanceOf(HttpError);
      expect((error as HttpError).error).toBeInstanceOf(CallAborted);
      await waitFor(async () => s.connections().closed === 1, 60_000, 'the aborted call’s connection closed');
    } finally {
      await s.close();
    }
  });

  it('answers Telegram’s refusals as grammY errors, with their code and parameters', async () => {
    const api = new Api(TOKEN, { apiRoot: tg.apiRoot, ...reminderClientOptions() });
    const error = await failure(api.sendMessage(7002, ''));
    expect(error).toBeInstanceOf(GrammyError);
    expect(error).toMatchObject({ error_code: 400 });
    tg.fail({ status: 500, method: 'sendMessage' });
    expect(await failure(api.sendMessage(7002, 'x'))).toMatchObject({ error_code: 500 });
  });

  it('waits out a 429 for its retry_after, then sends once', async () => {
    const s = await startScriptedServer();
    try {
      s.answers.push(
        json(429, {
          ok: false,
          error_code: 429,
          description: 'Too Many Requests: retry after 1',
          parameters: { retry_after: 1 },
        }),
        (_req, res, body) => json(200, sent(7100, (JSON.parse(body) as { text: string }).text))(_req, res, body),
      );
      const result = await channelOver(s.root).send(to, message);
      expect(result.externalId).toBe('7100:1');
      expect(s.bodies).toHaveLength(2);
    } finally {
      await s.close();
    }
  });

  it('gives up on a held call when grammY’s timeout aborts: the connection is closed, never reused, and the outcome unknown', async () => {
    const s = await startScriptedServer();
    try {
      s.answers.push(
        () => undefined, // held: never answered
        json(200, sent(7100, 'Nhắc hạn')),
      );
      const channel = channelOver(s.root, 1);
      const error = await failure(channel.send(to, message));
      expect(error).toBeInstanceOf(DeliveryError);
      expect(error).toMatchObject({ permanent: false, outcomeUnknown: true });
      expect((error as DeliveryError).cause).toBeInstanceOf(HttpError);
      expect(((error as DeliveryError).cause as HttpError).error).toBeInstanceOf(CallTimedOut);
      // The request was destroyed: the server sees its connection close…
      await waitFor(async () => s.connections().closed === 1, 60_000, 'the held connection closed');
      // …and the next call goes on a new one.
      await expect(channel.send(to, message)).resolves.toMatchObject({ externalId: '7100:1' });
      expect(s.connections().opened).toBe(2);
    } finally {
      await s.close();
    }
  });

  it('gives up on a call still waiting for its connection as never sent: retried, not of unknown outcome', async () => {
    // A Bot API server over HTTPS whose TLS handshake never ends (a proxy or a network that holds it):
    // the call waits in undici's queue for its connection, and grammY's timeout (1 s, under undici's
    // 10 s connect timeout) gives up on it before a byte of it was written.
    const sockets = new Set<Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const root = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const error = await failure(channelOver(root, 1).send(to, message));
      expect(sockets.size).toBe(1);
      expect(error).toBeInstanceOf(DeliveryError);
      expect(error).toMatchObject({ permanent: false, outcomeUnknown: false });
      const cause = ((error as DeliveryError).cause as HttpError).error;
      expect(cause).toBeInstanceOf(CallNotSent);
      expect((cause as CallNotSent).cause).toBeInstanceOf(CallTimedOut);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it('gives up on calls queued behind a pool’s busy connections as never sent, and never writes them', async () => {
    // A pool of two connections, both holding a call the server does not answer yet: the next calls
    // wait in the pool's queue; one times out there, one is aborted there.
    const s = await startScriptedServer();
    const held: (() => void)[] = [];
    const pool = new Pool(s.root, { connections: 2, headersTimeout: 0, bodyTimeout: 0 });
    try {
      let holding = true;
      s.answers.push((req, res, body) => {
        const answer = () => json(200, sent(7100, 'x'))(req, res, body);
        if (holding) held.push(answer);
        else answer();
      });
      const target = { pool, path: `/bot${TOKEN}/sendMessage` };
      const first = ['a', 'b'].map((text) =>
        post(target, JSON_HEADERS, JSON.stringify({ text })).catch((e: unknown) => e),
      );
      await waitFor(async () => s.bodies.length === 2, 60_000, 'both connections hold a call');
      const controller = new AbortController();
      const timedOut = failure(
        post(target, JSON_HEADERS, '{"text":"c"}', {
          timeoutMs: 1_000,
          timedOut: () => new CallTimedOut('sendMessage', 1),
        }),
      );
      const aborted = failure(post(target, JSON_HEADERS, '{"text":"d"}', { signal: controller.signal }));
      expect(pool.stats.queued).toBe(2);
      const late = await timedOut;
      expect(late).toBeInstanceOf(CallNotSent);
      expect((late as CallNotSent).cause).toBeInstanceOf(CallTimedOut);
      controller.abort();
      const gone = await aborted;
      expect(gone).toBeInstanceOf(CallNotSent);
      expect((gone as CallNotSent).cause).toBeInstanceOf(CallAborted);
      // The held calls answered, their connections free: the given-up calls are dropped, unwritten.
      holding = false;
      for (const answer of held) answer();
      expect(await Promise.all(first)).toEqual([
        expect.stringContaining('"ok":true'),
        expect.stringContaining('"ok":true'),
      ]);
      await waitFor(async () => pool.stats.size === 0, 60_000, 'the pool’s queue emptied');
      await expect(post(target, JSON_HEADERS, '{"text":"e"}')).resolves.toContain('"ok":true');
      expect(s.bodies.map((b) => (JSON.parse(b) as { text: string }).text).sort()).toEqual(['a', 'b', 'e']);
    } finally {
      await pool.destroy();
      await s.close();
    }
  });

  it('reads a connection cut in the middle of an answer as a failure of unknown outcome, and sends the next call', async () => {
    const s = await startScriptedServer();
    try {
      s.answers.push(
        (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': 200 });
          res.write('{"ok":true,"result":{"message_id"', () => res.destroy());
        },
        json(200, sent(7100, 'Nhắc hạn')),
      );
      const channel = channelOver(s.root);
      const error = await failure(channel.send(to, message));
      expect(error).toBeInstanceOf(DeliveryError);
      expect(error).toMatchObject({ permanent: false, outcomeUnknown: true });
      await expect(channel.send(to, message)).resolves.toMatchObject({ externalId: '7100:1' });
    } finally {
      await s.close();
    }
  });

  it('reads a connection cut before any answer (socket hang up) as of unknown outcome', async () => {
    const s = await startScriptedServer();
    try {
      s.answers.push((req) => req.socket.destroy(), json(200, sent(7100, 'Nhắc hạn')));
      const channel = channelOver(s.root);
      expect(await failure(channel.send(to, message))).toMatchObject({ permanent: false, outcomeUnknown: true });
      await expect(channel.send(to, message)).resolves.toMatchObject({ externalId: '7100:1' });
    } finally {
      await s.close();
    }
  });

  it('leaves a kept-alive connection the server closed, and sends on a new one', async () => {
    const s = await startScriptedServer();
    try {
      let first: Socket | undefined;
      s.answers.push(
        (req, res, body) => {
          first = req.socket;
          json(200, sent(7100, 'a'))(req, res, body);
        },
        json(200, sent(7100, 'b')),
      );
      const api = new Api(TOKEN, { apiRoot: s.root, ...reminderClientOptions() });
      await api.sendMessage(7100, 'a');
      first!.destroy();
      // The client sees the idle connection go before it would reuse it.
      const pool = reminderPool(new URL(s.root).origin);
      await waitFor(async () => pool.stats.connected === 0, 60_000, 'the closed connection left');
      await expect(api.sendMessage(7100, 'b')).resolves.toMatchObject({ text: 'b' });
      expect(s.connections().opened).toBe(2);
    } finally {
      await s.close();
    }
  });

  it('closes an idle connection itself, before the server would, and sooner under a shorter Keep-Alive hint', async () => {
    // Two servers that keep idle connections open for two minutes (their hint says 120 s, or 2 s): the
    // client closes both, the one under the short hint first (after 1 s; the other after
    // IDLE_CONNECTION_MS, under the 5 s of Node's servers' default).
    const closedByClient: string[] = [];
    const servers = await Promise.all(
      ['long', 'short'].map(async (name) => {
        const s = await startScriptedServer();
        s.answers.push((req, res, body) => {
          req.socket.once('end', () => closedByClient.push(name));
          if (name === 'short') res.setHeader('keep-alive', 'timeout=2');
          json(200, sent(7100, 'x'))(req, res, body);
        });
        return s;
      }),
    );
    try {
      for (const s of servers) s.keepIdleFor(120_000);
      expect(IDLE_CONNECTION_MS).toBeLessThan(5_000);
      await Promise.all(
        servers.map((s) => createReminderApi(TOKEN, { apiRoot: s.root, timeoutSeconds: 30 }).sendMessage(7100, 'x')),
      );
      await waitFor(async () => closedByClient.length === 2, 60_000, 'both idle connections closed by the client');
      expect(closedByClient).toEqual(['short', 'long']);
      expect(servers.map((s) => s.connections())).toEqual([
        { opened: 1, closed: 1 },
        { opened: 1, closed: 1 },
      ]);
    } finally {
      await Promise.all(servers.map((s) => s.close()));
    }
  });

  it('makes each call in flight on a connection of its own: a cut connection cuts one call only', async () => {
    const s = await startScriptedServer();
    const held: (() => void)[] = [];
    try {
      s.answers.push((req, res, body) => {
        const text = (JSON.parse(body) as { text: string }).text;
        if (text === 'cut') return void req.socket.destroy();
        held.push(() => json(200, sent(7100, text))(req, res, body));
        if (held.length === 2) for (const answer of held) answer();
      });
      const api = createReminderApi(TOKEN, { apiRoot: s.root, timeoutSeconds: 30 });
      const calls = ['a', 'cut', 'b'].map((text) =>
        api.sendMessage(7100, text).then(
          (m) => m.text,
          (e: unknown) => e,
        ),
      );
      const [a, cut, b] = await Promise.all(calls);
      expect([a, b]).toEqual(['a', 'b']);
      expect(cut).toBeInstanceOf(HttpError);
      expect(s.connections().opened).toBe(3);
    } finally {
      await s.close();
    }
  });

  it('reads a large answer in many pieces, and a compressed one', async () => {
    const s = await startScriptedServer();
    const big = 'Ư'.repeat(1_000_000);
    try {
      s.answers.push(
        (_req, res) => {
          const text = Buffer.from(JSON.stringify(sent(7100, big)));
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': text.length });
          for (let i = 0; i < text.length; i += 16_384) res.write(text.subarray(i, i + 16_384));
          res.end();
        },
        (_req, res) => {
          const text = zlib.gzipSync(JSON.stringify(sent(7100, 'nén')));
          res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
          res.end(text);
        },
      );
      const api = new Api(TOKEN, { apiRoot: s.root, ...reminderClientOptions() });
      expect((await api.sendMessage(7100, 'x')).text).toBe(big);
      expect((await api.sendMessage(7100, 'x')).text).toBe('nén');
    } finally {
      await s.close();
    }
  });

  it('reads an answer that is not JSON (a proxy’s page) as a temporary failure', async () => {
    const s = await startScriptedServer();
    try {
      s.answers.push((_req, res) => {
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html><body>502 Bad Gateway</body></html>');
      });
      const error = await failure(channelOver(s.root).send(to, message));
      expect(error).toBeInstanceOf(DeliveryError);
      expect(error).toMatchObject({ permanent: false });
      expect((error as DeliveryError).cause).toBeInstanceOf(HttpError);
    } finally {
      await s.close();
    }
  });

  it('says a refused connection is one (the message never left)', async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const root = `http://127.0.0.1:${port}`;
    const error = await failure(new Api(TOKEN, { apiRoot: root, ...reminderClientOptions() }).sendMessage(7004, 'x'));
    expect(error).toBeInstanceOf(HttpError);
    expect(String((error as HttpError).error)).toMatch(/ECONNREFUSED/);
    expect(await failure(channelOver(root).send(to, message))).toMatchObject({
      permanent: false,
      outcomeUnknown: false,
    });
  });

  it('sends nothing once aborted, and passes bodies that are not JSON text on', async () => {
    let requests = 0;
    const send = lightFetch({
      fallback: (_url, init) => {
        passed.push(init.body);
        return Promise.resolve({ json: () => Promise.resolve({ ok: true, result: true }) });
      },
    });
    const passed: unknown[] = [];
    const s = await startScriptedServer();
    try {
      s.answers.push((_req, res, body) => {
        requests++;
        json(200, { ok: true, result: body })(_req, res, body);
      });
      const controller = new AbortController();
      controller.abort();
      const url = `${s.root}/bot${TOKEN}/sendMessage`;
      expect(await failure(send(url, { body: '{}', signal: controller.signal }))).toBeInstanceOf(CallNotSent);
      expect(requests).toBe(0);
      const stream = { pipe: () => undefined };
      await expect((await send(`${url}Document`, { body: stream })).json()).resolves.toEqual({
        ok: true,
        result: true,
      });
      expect(passed).toEqual([stream]);
    } finally {
      await s.close();
    }
  });
});
