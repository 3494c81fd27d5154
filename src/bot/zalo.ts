import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  checkZaloSecret,
  parseZaloUpdate,
  ZALO_SECRET_HEADER,
  type ZaloClient,
  type ZaloUpdate,
} from '#root/channels/zalo/client.js';
import { splitZaloText } from '#root/channels/zalo/split.js';
import type { Caller, ChatSender, CommandService, Notice, Reply } from '#root/commands/service.js';
import type { Db } from '#root/db/client.js';
import type { Clock } from '#root/deps.js';
import type { Logger } from '#root/logger.js';
import { say } from '#root/messages/chat-words.js';
import { EVIDENCE_MAX_BYTES, storeEvidence } from '#root/services/chat.js';

/** Where the web role receives Zalo's updates when PUBLIC_URL is set. */
export const ZALO_WEBHOOK_PATH = '/zalo/webhook';

/**
 * The route of Zalo's webhook (Fastify): the secret token is checked first (401), a body that is
 * not an update is answered 400; an update is acknowledged at once and handled in the background
 * (Zalo does not wait for it).
 */
export function zaloWebhookRoute(bot: ZaloBot, secret: string) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (!checkZaloSecret(req.headers[ZALO_SECRET_HEADER], secret))
      return reply.code(401).send({ ok: false, description: 'Unauthorized' });
    const update = parseZaloUpdate(req.body);
    if (!update) return reply.code(400).send({ ok: false, description: 'Bad Request: not a Zalo update' });
    void bot.handle(update).catch(() => undefined);
    return reply.send({ ok: true });
  };
}

export interface ZaloBotDeps {
  db: Db;
  logger: Logger;
  clock: Clock;
  client: ZaloClient;
  commands: CommandService;
  /** Where evidence files are copied (STORAGE_DIR). */
  storageDir: string;
  /** True the first time a message id is seen (across processes); a webhook's redelivery is ignored. */
  firstSight?: (key: string) => Promise<boolean>;
  /** Downloads an image a person sent (tests point it elsewhere); default `fetch`. */
  fetch?: typeof fetch;
}

/** Sends a notice to a Zalo user: plain text (Zalo has no buttons), split into parts of at most 2,000 characters. */
export function zaloSender(client: ZaloClient): ChatSender {
  return async (address: string, notice: Notice) => {
    for (const part of splitZaloText(notice.text)) await client.sendMessage(address, part);
  };
}

export interface ZaloBot {
  /** Handles one update (from long polling or the webhook); resolves once the answer is sent. */
  handle(update: ZaloUpdate): Promise<void>;
  /** Long polling until {@link ZaloBot.stop}; errors back off from 1 s to 30 s. */
  startPolling(): void;
  stop(): Promise<void>;
  /** Waits for the follow-ups still running. */
  drain(): Promise<void>;
}

/**
 * The Zalo bot: the same commands as Telegram (the command service decides everything), typed, as
 * Zalo has no buttons. Texts are commands; an image right after /xong is kept as evidence; stickers,
 * voice and other events get a short explanation; events of unknown types are ignored. One
 * person's messages are handled in order, different people in parallel.
 */
export function createZaloBot(deps: ZaloBotDeps): ZaloBot {
  const { db, logger, client, commands } = deps;
  const send = zaloSender(client);
  const chains = new Map<string, Promise<void>>();
  const pending = new Set<Promise<void>>();
  let polling: { abort: AbortController; loop: Promise<void> } | null = null;

  const track = (p: Promise<void>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  const reply = async (chatId: string, replies: Reply[]) => {
    for (const r of replies) await send(chatId, { text: r.text });
  };

  async function image(caller: Caller, url: string | undefined, messageId: string): Promise<string> {
    // Who sends it, and for which obligation: in a chat linked in several organisations, the /xong
    // just sent says which (the command service decides, and refuses otherwise).
    const target = await commands.evidenceFor(caller);
    if ('refusal' in target) return target.refusal;
    const { contact, obligation, label } = target;
    const lang = contact.locale;
    if (!obligation || !url) return say(lang, 'photo.which');
    const res = await (deps.fetch ?? fetch)(url).catch(() => null);
    if (!res?.ok) return say(lang, 'photo.fetchFailed');
    const declared = Number(res.headers.get('content-length') ?? 0);
    if (declared > EVIDENCE_MAX_BYTES) return say(lang, 'photo.tooBig');
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.length > EVIDENCE_MAX_BYTES) return say(lang, 'photo.tooBig');
    const name = `anh-zalo-${messageId.replace(/[^\w-]+/g, '_').slice(0, 60)}.jpg`;
    const row = await storeEvidence(db, deps.storageDir, {
      orgId: contact.orgId,
      obligationId: obligation.id,
      contactId: contact.id,
      via: 'zalo',
      fileId: messageId,
      fileUniqueId: messageId,
      fileName: name,
      mimeType: res.headers.get('content-type') ?? 'image/jpeg',
      bytes,
    });
    logger.info(
      { evidence: row.id, obligation: obligation.id, size: bytes.length, channel: 'zalo' },
      'evidence stored',
    );
    return `${label}${say(lang, 'photo.saved', { code: obligation.duty.code })}`;
  }

  async function processUpdate(update: ZaloUpdate): Promise<void> {
    const m = update.message;
    if (!m?.from?.id || !m.chat?.id) {
      logger.debug({ event: update.event_name }, 'zalo update without a message: ignored');
      return;
    }
    if (m.from.is_bot) return;
    const caller: Caller = {
      channel: 'zalo',
      userId: String(m.from.id),
      chatId: String(m.chat.id),
      group: m.chat.chat_type === 'GROUP',
    };
    switch (update.event_name) {
      case 'message.text.received': {
        const outcome = await commands.handleText(caller, m.text ?? '');
        await reply(caller.chatId, outcome.replies);
        if (outcome.later)
          track(outcome.later().catch((error: unknown) => logger.warn({ err: error }, 'follow-up failed')));
        return;
      }
      case 'message.image.received': {
        if (caller.group) return;
        // A caption that is a command is handled as the command first (e.g. "/xong 4.2" under the photo).
        if (m.caption?.trim().startsWith('/')) {
          const outcome = await commands.handleText(caller, m.caption);
          await reply(caller.chatId, outcome.replies);
          if (outcome.later)
            track(outcome.later().catch((error: unknown) => logger.warn({ err: error }, 'follow-up failed')));
        }
        await send(caller.chatId, { text: await image(caller, m.photo_url ?? m.photo, String(m.message_id)) });
        return;
      }
      case 'message.sticker.received':
      case 'message.voice.received':
      case 'message.unsupported.received':
        if (!caller.group) await send(caller.chatId, { text: say(await commands.langOf(caller), 'photo.onlyText') });
        return;
      default:
        logger.debug({ event: update.event_name }, 'zalo event of an unknown type: ignored');
    }
  }

  async function handle(update: ZaloUpdate): Promise<void> {
    const m = update.message;
    if (deps.firstSight && m?.message_id && !(await deps.firstSight(`${update.event_name}:${m.message_id}`))) {
      logger.info({ message: m.message_id }, 'zalo update seen before: ignored');
      return;
    }
    const key = m?.chat?.id ? String(m.chat.id) : '';
    const previous = chains.get(key) ?? Promise.resolve();
    const run = previous.then(() => processUpdate(update));
    const settled = run.catch((error: unknown) =>
      logger.error({ err: error, event: update.event_name }, 'zalo update failed'),
    );
    chains.set(key, settled);
    track(settled);
    void settled.finally(() => {
      if (chains.get(key) === settled) chains.delete(key);
    });
    return run;
  }

  function startPolling() {
    if (polling) return;
    const abort = new AbortController();
    const loop = (async () => {
      let backoff = 1_000;
      while (!abort.signal.aborted) {
        try {
          const updates = await client.getUpdates({ timeout: 30 }, { signal: abort.signal });
          backoff = 1_000;
          for (const u of updates) void handle(u).catch(() => undefined);
        } catch (error) {
          if (abort.signal.aborted) break;
          logger.warn({ err: error, retryInMs: backoff }, 'zalo getUpdates failed');
          await new Promise((r) => setTimeout(r, backoff));
          backoff = Math.min(30_000, backoff * 2);
        }
      }
    })();
    polling = { abort, loop };
  }

  async function drain() {
    while (pending.size) await Promise.allSettled([...pending]);
  }

  return {
    handle,
    startPolling,
    async stop() {
      if (polling) {
        polling.abort.abort();
        await polling.loop;
        polling = null;
      }
      await drain();
    },
    drain,
  };
}
