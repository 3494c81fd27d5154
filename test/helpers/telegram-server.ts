/**
 * A local fake of the Telegram Bot API for tests, on `node:http` only.
 *
 * Point grammY at it with `new Bot(token, { client: { apiRoot: fake.apiRoot } })` (or
 * `new Api(token, { apiRoot })`). It answers the methods a reminder bot uses with the shapes Telegram
 * uses (`{ ok: true, result }` / `{ ok: false, error_code, description, parameters? }`), enforces the
 * published limits (text length, `callback_data` bytes, 1 msg/s per private chat, 30 msg/s per bot,
 * 20 msg/min per group), and lets a test play the user (`userSends`, `userPresses`) and the network
 * (`fail`, `block`, a share of random faults with `faults`, a round trip's `latencyMs`).
 *
 * The server runs inside the test process. Its clock and timers are captured when this module is
 * loaded, so `vi.useFakeTimers()` in a test does not freeze long polling or rate limits (pass
 * `now` to control the limit clock explicitly).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom } from './random.js';

// Captured at load time so that vitest fake timers installed later don't stop the server.
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const realNow = Date.now.bind(Date);

/** One HTTP call the fake received (recorded when it arrives; `status` is 0 until it is answered). */
export interface RecordedCall {
  /** Bot API method as sent (e.g. `sendMessage`). */
  method: string;
  token: string;
  /** Parameters, parsed from JSON / form / multipart / query. Uploaded files appear as {@link UploadedFile}. */
  params: Record<string, unknown>;
  /** Time of arrival (ms since epoch, from the server's clock). */
  at: number;
  /** HTTP status answered; 0 while unanswered (long poll in progress or a `'timeout'` fault). */
  status: number;
  /** `chat_id` of the call, as a string, when it had one. */
  chatId?: string;
  /** The random fault this call drew (see {@link FakeTelegram.faults}), if any. */
  fault?: RandomFaultKind;
}

/** A file part of a multipart upload, as it appears in {@link RecordedCall.params}. */
export interface UploadedFile {
  filename: string;
  contentType: string;
  bytes: Buffer;
}

/** Options of {@link startFakeTelegram}. */
export interface FakeTelegramOptions {
  /** Enforce Telegram's flood limits (429 answers). Default `true`. */
  limits?: boolean;
  /** `username` answered by getMe. Default `'dondoc_test_bot'`. */
  botUsername?: string;
  /** Clock used for rate limits and dates (ms since epoch). Default: the real `Date.now`. */
  now?: () => number;
  /**
   * Every call but getUpdates is handled this long after it arrives, as over a real network
   * (Telegram answers in 50–300 ms), so that a test can catch sends in flight. Default 0.
   */
  latencyMs?: number;
}

/** A message the bot has in a chat (what sendMessage / sendDocument created, with edits applied). */
export interface SentMessage {
  message_id: number;
  chat: { id: number; type: string };
  date: number;
  text?: string;
  caption?: string;
  reply_markup?: unknown;
  parse_mode?: string;
  document?: unknown;
  /** True once editMessageText / editMessageReplyMarkup changed it. */
  edited?: boolean;
}

/**
 * A fault to inject with {@link FakeTelegram.fail}: an error status (nothing delivered), `'timeout'`
 * (held unanswered, nothing delivered) or `'lostReply'` (handled — the message is in its chat — and
 * then held unanswered: the client cannot know its message went out).
 */
export interface FakeFault {
  status: 500 | 502 | 403 | 400 | 'timeout' | 'lostReply';
  /** Only calls of this method (case-insensitive). Without it every method matches except getUpdates. */
  method?: string;
  /** Only calls whose `chat_id` equals this. */
  chatId?: number | string;
  /** How many matching calls fail. Default 1. */
  times?: number;
  /** Overrides the default description of the status. */
  description?: string;
  /** `parameters` of the error answer (e.g. `{ migrate_to_chat_id }`). */
  parameters?: Record<string, unknown>;
}

/** The faults {@link FakeTelegram.faults} draws at random. */
export type RandomFaultKind = 'serverError' | 'timeout' | 'lostReply' | 'tooMany';

/**
 * Shares (0–1) of the matching calls that fail, each drawn at random from a seeded generator, so
 * that a run can be repeated. The shares add up; what is left is answered normally.
 */
export interface FakeFaultRates {
  /** Answered 500 Internal Server Error: nothing delivered. */
  serverError?: number;
  /** Held unanswered until the client gives up (or the server closes): nothing delivered. */
  timeout?: number;
  /**
   * Delivered (the message is in the chat), then the answer is held until the client gives up:
   * the case where the client cannot know that its message went out. A call the server refuses
   * anyway (a 400, a 429 of the limits) is answered, and not counted as one.
   */
  lostReply?: number;
  /** Answered 429 Too Many Requests with `retry_after`: nothing delivered. */
  tooMany?: number;
  /** `retry_after` of those 429 answers, in seconds. Default 1. */
  retryAfter?: number;
  /** Only calls of this method (case-insensitive). Default `sendMessage`. */
  method?: string;
  /** Seed of the generator. Default 1. */
  seed?: number;
}

export { seededRandom } from './random.js';

/** Handle on a running fake Telegram server. */
export interface FakeTelegram {
  /** e.g. `http://127.0.0.1:PORT`, for grammY's `client: { apiRoot }`. */
  apiRoot: string;
  /** Every call, in order of arrival. */
  calls: RecordedCall[];
  /** Messages the bot currently has in chats (all chats, or one), in sending order. */
  sent(chatId?: number | string): SentMessage[];
  /** Queue an update for getUpdates (assigns an increasing `update_id`). Returns the update. */
  inject(update: Record<string, unknown>): Record<string, unknown>;
  /** Long polls (getUpdates) held open now, waiting for an update: what a test awaits before writing. */
  polling(): number;
  /**
   * A user's message in their private chat (chat.id = user.id); injects and returns the update.
   * A leading `/command` gets a `bot_command` entity; `replyTo` is the message_id of a message in
   * that chat (the bot's or the user's); with `document`, `text` becomes the caption.
   */
  userSends(
    userId: number,
    text: string,
    options?: {
      replyTo?: number;
      firstName?: string;
      document?: { file_id: string; file_name: string; file_size: number; mime_type?: string };
    },
  ): Record<string, unknown>;
  /** A user presses an inline button under the bot's message `messageId` in `chatId` (default the user's private chat). */
  userPresses(userId: number, messageId: number, data: string, chatId?: number): Record<string, unknown>;
  /** answerCallbackQuery params accepted, in order. */
  callbackAnswers: Record<string, unknown>[];
  /** Register a downloadable file for getFile and `GET /file/bot<token>/<file_path>`. */
  addFile(fileId: string, bytes: Buffer, filePath?: string): void;
  /** Every call but getUpdates is handled this long after it arrives, from now on (see {@link FakeTelegramOptions.latencyMs}). */
  setLatency(ms: number): void;
  /** Make the next matching calls fail (see {@link FakeFault}). */
  fail(fault: FakeFault): void;
  /**
   * The next call that `match` accepts is held as it arrives (recorded in {@link calls}, not yet
   * handled): `received` resolves with it then, so that a test can act at that moment — freeze the
   * process that made it — and the call is handled as any other (faults, limits, the message in its
   * chat) only once `release()` is called. Calls before it, and after it, are not held.
   */
  hold(match: (call: RecordedCall) => boolean): HeldCall;
  /**
   * Fail a share of the calls from now on, at random (see {@link FakeFaultRates}); `null` stops it.
   * Each failed call is marked with its {@link RecordedCall.fault}. {@link fail} faults come first.
   */
  faults(rates: FakeFaultRates | null): void;
  /** How many calls drew each random fault so far. */
  injected(): Record<RandomFaultKind, number>;
  /** Every send to this chat answers 403 'Forbidden: bot was blocked by the user' until {@link unblock}. */
  block(chatId: number | string): void;
  /** Undo {@link block}. */
  unblock(chatId: number | string): void;
  /**
   * The group `chatId` is upgraded to the supergroup `newChatId`, as Telegram does: a service
   * message with `migrate_to_chat_id` is queued as an update, and from now on every send to the old
   * id answers 400 "group chat was upgraded to a supergroup chat" with
   * `parameters.migrate_to_chat_id`.
   */
  migrate(chatId: number, newChatId: number): Record<string, unknown>;
  /** Commands stored by setMyCommands for a scope (default `{type:'default'}`) and language (default ''). */
  commands(scope?: Record<string, unknown>, languageCode?: string): unknown[];
  /** The webhook set by setWebhook (undefined when none). */
  webhook(): Record<string, unknown> | undefined;
  /** Stop the server: pending long polls get `[]`, held ('timeout') requests are cut. */
  close(): Promise<void>;
}

/** A call held by {@link FakeTelegram.hold}. */
export interface HeldCall {
  /** Resolves with the call as soon as the server has received it. */
  received: Promise<RecordedCall>;
  /** Handles the call now (or as soon as it arrives, if it has not yet). */
  release(): void;
}

type Json = Record<string, unknown>;

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly parameters?: Json,
  ) {
    super(description);
  }
}

const TOKEN_RE = /^\d+:[A-Za-z0-9_-]{10,}$/;
const LIMITED = new Set(['sendmessage', 'senddocument', 'sendphoto', 'editmessagetext', 'editmessagereplymarkup']);
const BLOCKABLE = new Set([...LIMITED, 'sendchataction', 'copymessage', 'forwardmessage']);
const BLOCKED = 'Forbidden: bot was blocked by the user';
const DEFAULT_FAULT: Record<string, string> = {
  '500': 'Internal Server Error',
  '502': 'Bad Gateway',
  '403': BLOCKED,
  '400': 'Bad Request: chat not found',
};
const HTML_TAGS = new Set([
  'b',
  'strong',
  'i',
  'em',
  'u',
  'ins',
  's',
  'strike',
  'del',
  'span',
  'tg-spoiler',
  'a',
  'code',
  'pre',
  'blockquote',
  'tg-emoji',
]);
const MAX_DOWNLOAD = 20 * 1024 * 1024;

function badRequest(what: string): ApiError {
  return new ApiError(400, `Bad Request: ${what}`);
}

function chatType(id: number): string {
  if (id > 0) return 'private';
  return id <= -1_000_000_000_000 ? 'supergroup' : 'group';
}

/** Form / multipart / query values are strings: JSON-looking ones are parsed back. */
function decodeField(value: string): unknown {
  const t = value.trim();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      return JSON.parse(t) as unknown;
    } catch {
      return value;
    }
  }
  return value;
}

function parseMultipart(body: Buffer, boundary: string): Json {
  const out: Json = {};
  const files = new Map<string, UploadedFile>();
  const delimiter = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delimiter);
  while (pos !== -1) {
    let start = pos + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    if (body.subarray(start, start + 2).toString() === '\r\n') start += 2;
    const next = body.indexOf(delimiter, start);
    if (next === -1) break;
    let part = body.subarray(start, next);
    if (part.subarray(-2).toString() === '\r\n') part = part.subarray(0, -2);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd !== -1) {
      const headers = part.subarray(0, headerEnd).toString('utf8');
      const content = part.subarray(headerEnd + 4);
      const name = /(?:^|;|\s)name="([^"]*)"/i.exec(headers)?.[1];
      const filename = /filename="?([^";\r\n]*)"?/i.exec(headers)?.[1];
      const contentType = /content-type:\s*([^\r\n;]+)/i.exec(headers)?.[1] ?? 'application/octet-stream';
      if (name !== undefined) {
        if (filename !== undefined) files.set(name, { filename, contentType, bytes: Buffer.from(content) });
        else out[name] = decodeField(content.toString('utf8'));
      }
    }
    pos = next;
  }
  // Resolve grammY's `attach://<id>` references to the uploaded parts.
  for (const [key, value] of Object.entries(out)) {
    if (typeof value === 'string' && value.startsWith('attach://')) {
      const file = files.get(value.slice('attach://'.length));
      if (file) out[key] = file;
    }
  }
  for (const [name, file] of files) if (!Object.values(out).includes(file)) out[name] = file;
  return out;
}

function parseBody(contentType: string, body: Buffer): Json {
  if (body.length === 0) return {};
  if (contentType.includes('application/json')) {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badRequest('invalid JSON');
    return parsed as Json;
  }
  if (contentType.includes('multipart/form-data')) {
    const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
    if (!boundary) throw badRequest('no boundary in multipart body');
    return parseMultipart(body, boundary);
  }
  // application/x-www-form-urlencoded (and anything else) as a form.
  return Object.fromEntries([...new URLSearchParams(body.toString('utf8'))].map(([k, v]) => [k, decodeField(v)]));
}

/**
 * Check Telegram's HTML subset the way the real parser refuses it (unsupported or unbalanced tags,
 * a bare `<`) and return the visible text, whose length is what the 4096 limit applies to.
 */
function visibleHtml(text: string): string {
  const stack: string[] = [];
  let visible = '';
  let i = 0;
  const byteOffset = (at: number): number => Buffer.byteLength(text.slice(0, at));
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === '<') {
      const end = text.indexOf('>', i);
      const m = end === -1 ? null : /^<(\/?)([a-zA-Z][a-zA-Z0-9-]*)(\s[^>]*)?\/?>$/.exec(text.slice(i, end + 1));
      if (!m) throw badRequest(`can't parse entities: Unsupported start tag "" at byte offset ${byteOffset(i)}`);
      const closing = m[1] === '/';
      const tag = (m[2] as string).toLowerCase();
      if (!HTML_TAGS.has(tag)) {
        throw badRequest(
          `can't parse entities: Unsupported ${closing ? 'end' : 'start'} tag "${tag}" at byte offset ${byteOffset(i)}`,
        );
      }
      if (closing) {
        if (stack.pop() !== tag) {
          throw badRequest(
            `can't parse entities: Unmatched end tag at byte offset ${byteOffset(i)}, expected "</${stack.at(-1) ?? ''}>", found "</${tag}>"`,
          );
        }
      } else {
        stack.push(tag);
      }
      i = end + 1;
    } else if (ch === '&') {
      const m = /^&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);/.exec(text.slice(i, i + 12));
      visible += m ? 'x' : '&';
      i += m ? m[0].length : 1;
    } else {
      visible += ch;
      i += 1;
    }
  }
  if (stack.length > 0)
    throw badRequest(`can't parse entities: Can't find end tag corresponding to start tag "${stack.at(-1) ?? ''}"`);
  return visible;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** Start a fake Telegram Bot API server on 127.0.0.1 with a random port. */
export async function startFakeTelegram(options: FakeTelegramOptions = {}): Promise<FakeTelegram> {
  const limitsOn = options.limits ?? true;
  const botUsername = options.botUsername ?? 'dondoc_test_bot';
  const now = options.now ?? realNow;
  let latencyMs = options.latencyMs ?? 0;
  const seconds = (): number => Math.floor(now() / 1000);

  const calls: RecordedCall[] = [];
  const callbackAnswers: Json[] = [];
  const messages: SentMessage[] = []; // the bot's messages, in sending order
  const userMessages: Json[] = []; // messages injected via userSends (for replies)
  const nextMessageId = new Map<string, number>();
  const updates: Json[] = [];
  let nextUpdateId = 1;
  const pendingQueries = new Set<string>();
  const answeredQueries = new Set<string>();
  let queryCounter = 0;
  const files = new Map<string, { bytes: Buffer; path: string; uniqueId: string }>();
  const faults: (FakeFault & { left: number })[] = [];
  const holds: { match: (call: RecordedCall) => boolean; arrived: (call: RecordedCall) => void; go: Promise<void> }[] =
    [];
  let random: { rates: FakeFaultRates; method: string; next: () => number } | null = null;
  const injected: Record<RandomFaultKind, number> = { serverError: 0, timeout: 0, lostReply: 0, tooMany: 0 };
  const blocked = new Set<string>();
  const migrated = new Map<string, number>();
  const commands = new Map<string, unknown[]>();
  let webhook: Json | undefined;
  const botSends = new Map<string, number[]>();
  const privateLast = new Map<string, number>();
  const groupSends = new Map<string, number[]>();
  let closed = false;

  interface Waiter {
    token: string;
    wake: (conflict: boolean) => void;
  }
  const waiters = new Set<Waiter>();
  const held = new Set<http.ServerResponse>();

  const allocMessageId = (chatId: number): number => {
    const id = nextMessageId.get(String(chatId)) ?? 1;
    nextMessageId.set(String(chatId), id + 1);
    return id;
  };

  const botUser = (token: string): Json => ({
    id: Number(token.split(':')[0]),
    is_bot: true,
    first_name: 'Dondoc Test',
    username: botUsername,
  });

  const findMessage = (chatId: number | string, messageId: number): SentMessage | undefined =>
    messages.find((m) => String(m.chat.id) === String(chatId) && m.message_id === messageId);

  /** The Message object Telegram would return for one of the bot's messages. */
  const toMessage = (m: SentMessage, token: string): Json => {
    const msg: Json = { message_id: m.message_id, from: botUser(token), chat: { ...m.chat }, date: m.date };
    if (m.text !== undefined) msg.text = m.text;
    if (m.caption !== undefined) msg.caption = m.caption;
    if (m.document !== undefined) msg.document = m.document;
    if (m.reply_markup !== undefined) msg.reply_markup = m.reply_markup;
    if (m.edited) msg.edit_date = seconds();
    return msg;
  };
  const defaultToken = (): string => calls.at(-1)?.token ?? '1:fake';

  const chatIdOf = (params: Json): number => {
    const raw = params.chat_id;
    if (raw === undefined || raw === null || raw === '') throw badRequest('chat_id is empty');
    const id = Number(raw);
    if (!Number.isSafeInteger(id)) throw badRequest('chat not found');
    return id;
  };

  const markupOf = (params: Json): unknown => {
    const markup = typeof params.reply_markup === 'string' ? decodeField(params.reply_markup) : params.reply_markup;
    if (markup === undefined || markup === null) return undefined;
    if (typeof markup !== 'object') throw badRequest("can't parse reply keyboard markup JSON object");
    const keyboard = (markup as Json).inline_keyboard;
    if (keyboard !== undefined) {
      if (!Array.isArray(keyboard))
        throw badRequest('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array');
      for (const row of keyboard as unknown[]) {
        if (!Array.isArray(row))
          throw badRequest('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays');
        for (const button of row as Json[]) {
          if (typeof button.text !== 'string' || button.text === '')
            throw badRequest('text buttons are unallowed in the inline keyboard');
          if ('callback_data' in button) {
            const data = button.callback_data;
            const bytes = typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : 0;
            if (bytes < 1 || bytes > 64) throw badRequest('BUTTON_DATA_INVALID');
          }
        }
      }
    }
    return markup;
  };

  const checkText = (text: unknown, parseMode: unknown, what: 'text' | 'caption'): string | undefined => {
    if (text === undefined || text === null) {
      if (what === 'text') throw badRequest('message text is empty');
      return undefined;
    }
    const s = String(text);
    const visible = parseMode === 'HTML' ? visibleHtml(s) : s;
    if (what === 'text') {
      if (visible.trim() === '') throw badRequest('message text is empty');
      if (visible.length > 4096) throw badRequest('message is too long');
    } else if (visible.length > 1024) {
      throw badRequest('message caption is too long');
    }
    return s;
  };

  /** Flood control: throws 429 if over a limit; otherwise returns a commit function. */
  const checkLimits = (token: string, chatId: number): (() => void) => {
    if (!limitsOn) return () => undefined;
    const t = now();
    const key = `${token}|${chatId}`;
    const retry = (freeAt: number): never => {
      const n = Math.max(1, Math.ceil((freeAt - t) / 1000));
      throw new ApiError(429, `Too Many Requests: retry after ${n}`, { retry_after: n });
    };
    const bot = (botSends.get(token) ?? []).filter((x) => t - x < 1000);
    botSends.set(token, bot);
    if (bot.length >= 30) retry((bot[0] as number) + 1000);
    if (chatId > 0) {
      const last = privateLast.get(key);
      if (last !== undefined && t - last < 1000) retry(last + 1000);
    }
    const group = chatId < 0 ? (groupSends.get(key) ?? []).filter((x) => t - x < 60_000) : [];
    if (chatId < 0) {
      groupSends.set(key, group);
      if (group.length >= 20) retry((group[0] as number) + 60_000);
    }
    return () => {
      bot.push(t);
      if (chatId > 0) privateLast.set(key, t);
      else group.push(t);
    };
  };

  const registerUpload = (file: UploadedFile): { fileId: string; uniqueId: string } => {
    const n = files.size + 1;
    const fileId = `BQACAgUpload${n}_${Math.random().toString(36).slice(2, 10)}`;
    const uniqueId = `AgADup${n}`;
    files.set(fileId, { bytes: file.bytes, path: `documents/file_${n}_${file.filename}`, uniqueId });
    return { fileId, uniqueId };
  };

  const sendMedia = (token: string, params: Json, kind: 'document' | 'photo'): Json => {
    const chatId = chatIdOf(params);
    const input = params[kind];
    if (input === undefined || input === null || input === '') throw badRequest(`there is no ${kind} in the request`);
    const caption = checkText(params.caption, params.parse_mode, 'caption');
    const markup = markupOf(params);
    let media: unknown;
    if (typeof input === 'object' && Buffer.isBuffer((input as UploadedFile).bytes)) {
      const file = input as UploadedFile;
      const { fileId, uniqueId } = registerUpload(file);
      media =
        kind === 'document'
          ? {
              file_id: fileId,
              file_unique_id: uniqueId,
              file_name: file.filename,
              mime_type: file.contentType,
              file_size: file.bytes.length,
            }
          : [{ file_id: fileId, file_unique_id: uniqueId, width: 1, height: 1, file_size: file.bytes.length }];
    } else if (typeof input === 'string') {
      const known = files.get(input);
      if (!known && !input.startsWith('http')) throw badRequest('wrong file identifier/HTTP URL specified');
      media =
        kind === 'document'
          ? {
              file_id: input,
              file_unique_id: known?.uniqueId ?? 'AgADurl',
              file_name: known?.path.split('/').at(-1) ?? 'file',
            }
          : [{ file_id: input, file_unique_id: known?.uniqueId ?? 'AgADurl', width: 1, height: 1 }];
    } else {
      throw badRequest(`wrong ${kind} specified`);
    }
    const commit = checkLimits(token, chatId);
    commit();
    const m: SentMessage = {
      message_id: allocMessageId(chatId),
      chat: { id: chatId, type: chatType(chatId) },
      date: seconds(),
    };
    if (caption !== undefined) m.caption = caption;
    if (typeof params.parse_mode === 'string') m.parse_mode = params.parse_mode;
    if (markup !== undefined) m.reply_markup = markup;
    m.document = media;
    messages.push(m);
    const msg = toMessage(m, token);
    if (kind === 'photo') {
      delete msg.document;
      msg.photo = media;
    }
    return msg;
  };

  const editTarget = (params: Json): SentMessage => {
    if (params.inline_message_id !== undefined) throw badRequest('inline messages are not supported by this fake');
    const chatId = chatIdOf(params);
    const m = findMessage(chatId, Number(params.message_id));
    if (!m) throw badRequest('message to edit not found');
    return m;
  };
  const NOT_MODIFIED =
    'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message';

  const handlers: Record<string, (token: string, params: Json) => unknown> = {
    getme: (token) => ({
      ...botUser(token),
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
    }),
    logout: () => true,
    setmycommands: (_token, params) => {
      const list = params.commands;
      if (!Array.isArray(list)) throw badRequest('field "commands" must be an Array');
      if (list.length > 100) throw badRequest('BOT_COMMANDS_TOO_MUCH');
      for (const c of list as Json[]) {
        if (typeof c.command !== 'string' || !/^[a-z0-9_]{1,32}$/.test(c.command))
          throw badRequest('BOT_COMMAND_INVALID');
        if (typeof c.description !== 'string' || c.description.length < 1 || c.description.length > 256) {
          throw badRequest('BOT_COMMAND_DESCRIPTION_INVALID');
        }
      }
      commands.set(commandsKey(params.scope, params.language_code), list);
      return true;
    },
    deletemycommands: (_token, params) => {
      commands.delete(commandsKey(params.scope, params.language_code));
      return true;
    },
    getmycommands: (_token, params) => commands.get(commandsKey(params.scope, params.language_code)) ?? [],
    setwebhook: (_token, params) => {
      if (typeof params.url !== 'string') throw badRequest('bad webhook: An HTTPS URL must be provided for webhook');
      const secret = params.secret_token;
      if (secret !== undefined && (typeof secret !== 'string' || !/^[A-Za-z0-9_-]{1,256}$/.test(secret))) {
        throw badRequest('bad webhook: secret token contains unallowed characters');
      }
      webhook = params.url === '' ? undefined : { ...params };
      return true;
    },
    deletewebhook: (_token, params) => {
      webhook = undefined;
      if (params.drop_pending_updates === true || params.drop_pending_updates === 'true') updates.length = 0;
      return true;
    },
    getwebhookinfo: () => ({
      url: typeof webhook?.url === 'string' ? webhook.url : '',
      has_custom_certificate: false,
      pending_update_count: updates.length,
    }),
    sendmessage: (token, params) => {
      const chatId = chatIdOf(params);
      const text = checkText(params.text, params.parse_mode, 'text') as string;
      const markup = markupOf(params);
      checkLimits(token, chatId)();
      const m: SentMessage = {
        message_id: allocMessageId(chatId),
        chat: { id: chatId, type: chatType(chatId) },
        date: seconds(),
        text,
      };
      if (markup !== undefined) m.reply_markup = markup;
      if (typeof params.parse_mode === 'string') m.parse_mode = params.parse_mode;
      messages.push(m);
      return toMessage(m, token);
    },
    senddocument: (token, params) => sendMedia(token, params, 'document'),
    sendphoto: (token, params) => sendMedia(token, params, 'photo'),
    sendchataction: (_token, params) => {
      chatIdOf(params);
      return true;
    },
    editmessagetext: (token, params) => {
      const m = editTarget(params);
      if (m.text === undefined) throw badRequest('there is no text in the message to edit');
      const text = checkText(params.text, params.parse_mode, 'text') as string;
      const markup = markupOf(params);
      if (text === m.text && sameJson(markup, m.reply_markup)) throw badRequest(NOT_MODIFIED);
      checkLimits(token, m.chat.id)();
      m.text = text;
      if (markup === undefined) delete m.reply_markup;
      else m.reply_markup = markup;
      if (typeof params.parse_mode === 'string') m.parse_mode = params.parse_mode;
      else delete m.parse_mode;
      m.edited = true;
      return toMessage(m, token);
    },
    editmessagereplymarkup: (token, params) => {
      const m = editTarget(params);
      const markup = markupOf(params);
      if (sameJson(markup, m.reply_markup)) throw badRequest(NOT_MODIFIED);
      checkLimits(token, m.chat.id)();
      if (markup === undefined) delete m.reply_markup;
      else m.reply_markup = markup;
      m.edited = true;
      return toMessage(m, token);
    },
    deletemessage: (_token, params) => {
      const chatId = chatIdOf(params);
      const m = findMessage(chatId, Number(params.message_id));
      if (!m) throw badRequest('message to delete not found');
      messages.splice(messages.indexOf(m), 1);
      return true;
    },
    answercallbackquery: (_token, params) => {
      const id = String(params.callback_query_id ?? '');
      if (!pendingQueries.has(id) || answeredQueries.has(id)) {
        throw badRequest('query is too old and response timeout expired or query ID is invalid');
      }
      if (typeof params.text === 'string' && params.text.length > 200) throw badRequest('MESSAGE_TOO_LONG');
      answeredQueries.add(id);
      callbackAnswers.push(params);
      return true;
    },
    getfile: (_token, params) => {
      const fileId = String(params.file_id ?? '');
      const f = files.get(fileId);
      if (!f) throw badRequest('invalid file_id');
      if (f.bytes.length > MAX_DOWNLOAD) throw badRequest('file is too big');
      return { file_id: fileId, file_unique_id: f.uniqueId, file_size: f.bytes.length, file_path: f.path };
    },
  };

  function commandsKey(scope: unknown, languageCode: unknown): string {
    const s = typeof scope === 'string' ? decodeField(scope) : scope;
    return `${JSON.stringify(s ?? { type: 'default' })}|${typeof languageCode === 'string' ? languageCode : ''}`;
  }

  const takeFault = (method: string, chatId: string | undefined): FakeFault | undefined => {
    const i = faults.findIndex(
      (f) =>
        (f.method === undefined ? method !== 'getupdates' : f.method.toLowerCase() === method) &&
        (f.chatId === undefined || String(f.chatId) === chatId),
    );
    if (i === -1) return undefined;
    const f = faults[i] as FakeFault & { left: number };
    f.left -= 1;
    if (f.left <= 0) faults.splice(i, 1);
    return f;
  };

  /** The random fault of a call of `method`, if it draws one. */
  const drawFault = (method: string): RandomFaultKind | undefined => {
    if (!random || method !== random.method) return undefined;
    const u = random.next();
    const r = random.rates;
    let edge = 0;
    for (const kind of ['serverError', 'timeout', 'lostReply', 'tooMany'] as const) {
      edge += r[kind] ?? 0;
      if (u < edge) return kind;
    }
    return undefined;
  };

  const send = (res: http.ServerResponse, call: RecordedCall | undefined, status: number, body: Json): void => {
    if (call) call.status = status;
    held.delete(res);
    if (res.writableEnded || res.destroyed) return;
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const sendError = (res: http.ServerResponse, call: RecordedCall | undefined, e: ApiError): void => {
    const body: Json = { ok: false, error_code: e.code, description: e.description };
    if (e.parameters) body.parameters = e.parameters;
    send(res, call, e.code, body);
  };

  const getUpdates = (
    token: string,
    params: Json,
    call: RecordedCall,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): void => {
    if (webhook) {
      throw new ApiError(
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      );
    }
    // A new poll terminates a pending one for the same bot, as Telegram does.
    for (const w of [...waiters]) if (w.token === token) w.wake(true);
    const offset = params.offset === undefined ? 0 : Number(params.offset);
    const limit = Math.min(100, Math.max(1, params.limit === undefined ? 100 : Number(params.limit)));
    const timeout = Math.max(0, params.timeout === undefined ? 0 : Number(params.timeout));
    if (offset > 0) {
      while (updates.length > 0 && Number((updates[0] as Json).update_id) < offset) updates.shift();
    }
    const pick = (): Json[] => (offset < 0 ? updates.slice(offset) : updates).slice(0, limit);
    const ready = pick();
    if (ready.length > 0 || timeout === 0 || closed) {
      send(res, call, 200, { ok: true, result: ready });
      return;
    }
    const waiter: Waiter = {
      token,
      wake: (conflict) => {
        waiters.delete(waiter);
        realClearTimeout(timer);
        if (conflict)
          sendError(
            res,
            call,
            new ApiError(
              409,
              'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
            ),
          );
        else send(res, call, 200, { ok: true, result: pick() });
      },
    };
    const timer = realSetTimeout(() => waiter.wake(false), timeout * 1000);
    waiters.add(waiter);
    held.add(res);
    req.socket.once('close', () => {
      if (waiters.delete(waiter)) realClearTimeout(timer);
      held.delete(res);
    });
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);

    const fileMatch = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (fileMatch && req.method === 'GET') {
      const [, token = '', path = ''] = fileMatch;
      const decoded = decodeURIComponent(path);
      const file = [...files.values()].find((f) => f.path === decoded);
      if (!TOKEN_RE.test(token)) return sendError(res, undefined, new ApiError(401, 'Unauthorized'));
      if (!file) return sendError(res, undefined, new ApiError(404, 'Not Found'));
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.bytes.length });
      res.end(file.bytes);
      return;
    }

    const m = /^\/bot([^/]*)\/([A-Za-z0-9_]*)$/.exec(url.pathname);
    if (!m) return sendError(res, undefined, new ApiError(404, 'Not Found'));
    const [, token = '', method = ''] = m;
    let params: Json = {};
    let parseError: ApiError | undefined;
    try {
      const query = Object.fromEntries([...url.searchParams].map(([k, v]) => [k, decodeField(v)]));
      params = { ...query, ...parseBody(req.headers['content-type'] ?? '', body) };
    } catch (e) {
      parseError = e instanceof ApiError ? e : badRequest("can't parse request body");
    }
    const call: RecordedCall = { method, token, params, at: now(), status: 0 };
    if (params.chat_id !== undefined && params.chat_id !== null) call.chatId = String(params.chat_id);
    calls.push(call);
    if (parseError) return sendError(res, call, parseError);

    if (!TOKEN_RE.test(token)) return sendError(res, call, new ApiError(401, 'Unauthorized'));
    const lower = method.toLowerCase();
    const handler = handlers[lower];
    if (!handler && lower !== 'getupdates') return sendError(res, call, new ApiError(404, 'Not Found'));
    const hold = holds.find((h) => h.match(call));
    if (hold) {
      holds.splice(holds.indexOf(hold), 1);
      hold.arrived(call);
      await hold.go;
    }
    if (latencyMs > 0 && lower !== 'getupdates') await new Promise((r) => realSetTimeout(r, latencyMs));

    const fault = takeFault(lower, call.chatId);
    if (fault && fault.status !== 'lostReply') {
      if (fault.status === 'timeout') {
        held.add(res);
        return;
      }
      return sendError(
        res,
        call,
        new ApiError(
          fault.status,
          fault.description ?? (DEFAULT_FAULT[String(fault.status)] as string),
          fault.parameters,
        ),
      );
    }
    // A call given its fault by `fail` draws none at random.
    const drawn = fault ? undefined : drawFault(lower);
    // A lost reply is counted once the call has succeeded (a call refused anyway loses nothing).
    if (drawn && drawn !== 'lostReply') {
      call.fault = drawn;
      injected[drawn] += 1;
      if (drawn === 'timeout') {
        held.add(res);
        return;
      }
      if (drawn === 'serverError') return sendError(res, call, new ApiError(500, DEFAULT_FAULT['500'] as string));
      if (drawn === 'tooMany') {
        const n = random?.rates.retryAfter ?? 1;
        return sendError(res, call, new ApiError(429, `Too Many Requests: retry after ${n}`, { retry_after: n }));
      }
    }
    if (call.chatId !== undefined && blocked.has(call.chatId) && BLOCKABLE.has(lower)) {
      return sendError(res, call, new ApiError(403, BLOCKED));
    }
    const movedTo = call.chatId === undefined ? undefined : migrated.get(call.chatId);
    if (movedTo !== undefined && BLOCKABLE.has(lower)) {
      return sendError(
        res,
        call,
        new ApiError(400, 'Bad Request: group chat was upgraded to a supergroup chat', { migrate_to_chat_id: movedTo }),
      );
    }
    try {
      if (lower === 'getupdates') return getUpdates(token, params, call, req, res);
      const result = (handler as (token: string, params: Json) => unknown)(token, params);
      if (fault?.status === 'lostReply') {
        // Done, but the answer never comes (as the random fault below, asked for this call).
        held.add(res);
        return;
      }
      if (drawn === 'lostReply') {
        // Done, but the answer never comes: the client cannot tell this from a call that was lost.
        call.fault = drawn;
        injected.lostReply += 1;
        held.add(res);
        return;
      }
      send(res, call, 200, { ok: true, result });
    } catch (e) {
      if (e instanceof ApiError) sendError(res, call, e);
      else sendError(res, call, new ApiError(500, `Internal Server Error: ${String(e)}`));
    }
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) =>
      sendError(res, undefined, new ApiError(500, `Internal Server Error: ${String(e)}`)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const inject = (update: Record<string, unknown>): Record<string, unknown> => {
    const full: Json = { update_id: nextUpdateId++, ...update };
    if (typeof full.update_id === 'number' && full.update_id >= nextUpdateId) nextUpdateId = full.update_id + 1;
    const cq = full.callback_query as Json | undefined;
    if (cq && typeof cq.id === 'string') pendingQueries.add(cq.id);
    updates.push(full);
    for (const w of [...waiters]) w.wake(false);
    return full;
  };

  const userOf = (userId: number, firstName?: string): Json => ({
    id: userId,
    is_bot: false,
    first_name: firstName ?? `User${userId}`,
    language_code: 'vi',
  });

  const fake: FakeTelegram = {
    apiRoot: `http://127.0.0.1:${port}`,
    calls,
    callbackAnswers,
    setLatency: (ms) => {
      latencyMs = ms;
    },
    sent: (chatId) =>
      chatId === undefined ? [...messages] : messages.filter((m) => String(m.chat.id) === String(chatId)),
    inject,
    polling: () => waiters.size,
    userSends: (userId, text, opts = {}) => {
      const from = userOf(userId, opts.firstName);
      const message: Json = {
        message_id: allocMessageId(userId),
        from,
        chat: { id: userId, type: 'private', first_name: from.first_name },
        date: seconds(),
      };
      const command = /^\/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?/.exec(text);
      const entities = command ? [{ type: 'bot_command', offset: 0, length: command[0].length }] : undefined;
      if (opts.document) {
        message.document = { file_unique_id: `AgAD${opts.document.file_id.slice(-8)}`, ...opts.document };
        if (text !== '') message.caption = text;
        if (entities) message.caption_entities = entities;
      } else {
        message.text = text;
        if (entities) message.entities = entities;
      }
      if (opts.replyTo !== undefined) {
        const bot = findMessage(userId, opts.replyTo);
        const user = userMessages.find((u) => (u.chat as Json).id === userId && u.message_id === opts.replyTo);
        const replied = bot ? toMessage(bot, defaultToken()) : user;
        if (!replied) throw new Error(`userSends: no message ${opts.replyTo} in chat ${userId} to reply to`);
        message.reply_to_message = replied;
      }
      userMessages.push(message);
      return inject({ message });
    },
    userPresses: (userId, messageId, data, chatId = userId) => {
      const m = findMessage(chatId, messageId);
      if (!m) throw new Error(`userPresses: the bot has no message ${messageId} in chat ${chatId}`);
      const id = `${userId}${String(++queryCounter).padStart(6, '0')}`;
      return inject({
        callback_query: {
          id,
          from: userOf(userId),
          message: toMessage(m, defaultToken()),
          chat_instance: `ci${chatId}`,
          data,
        },
      });
    },
    addFile: (fileId, bytes, filePath) => {
      files.set(fileId, { bytes, path: filePath ?? `documents/${fileId}`, uniqueId: `AgAD${fileId.slice(-8)}` });
    },
    fail: (fault) => {
      faults.push({ ...fault, left: fault.times ?? 1 });
    },
    hold: (match) => {
      let arrived!: (call: RecordedCall) => void;
      let release!: () => void;
      const received = new Promise<RecordedCall>((resolve) => (arrived = resolve));
      const go = new Promise<void>((resolve) => (release = resolve));
      holds.push({ match, arrived, go });
      return { received, release };
    },
    faults: (rates) => {
      random = rates
        ? { rates, method: (rates.method ?? 'sendMessage').toLowerCase(), next: seededRandom(rates.seed ?? 1) }
        : null;
    },
    injected: () => ({ ...injected }),
    block: (chatId) => {
      blocked.add(String(chatId));
    },
    unblock: (chatId) => {
      blocked.delete(String(chatId));
    },
    migrate: (chatId, newChatId) => {
      migrated.set(String(chatId), newChatId);
      return inject({
        message: {
          message_id: allocMessageId(chatId),
          date: seconds(),
          chat: { id: chatId, type: 'group', title: 'Nhóm' },
          from: userOf(1),
          migrate_to_chat_id: newChatId,
        },
      });
    },
    commands: (scope, languageCode) => commands.get(commandsKey(scope, languageCode)) ?? [],
    webhook: () => webhook,
    close: async () => {
      if (closed) return;
      closed = true;
      for (const w of [...waiters]) w.wake(false);
      for (const res of held) res.destroy();
      held.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return fake;
}
