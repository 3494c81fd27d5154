import net from 'node:net';
import { Api, GrammyError, HttpError } from 'grammy';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '#root/logger.js';
import { startSmtp } from '../helpers/smtp.js';
import { startFakeTelegram, type FakeTelegram } from '../helpers/telegram-server.js';

const TG_SECRET = 'TgSecretPart_abcdefghijklmnopqrstu';
const TG_TOKEN = `424242:${TG_SECRET}`;
const SMTP_PASSWORD = 'SmtpPassw0rd-known-to-the-test';
const BODY = 'Nội dung nhắc việc bí mật 4.7';
const ADDRESS = 'rejected-canbo@soyte.example.vn';

interface ErrLine {
  msg: string;
  err: { type: string; message: string; stack: string; [k: string]: unknown };
}

/** A logger writing to an array, as the program's own (src/logger.ts). */
function capture() {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
  return { logger, lines, last: () => JSON.parse(lines.at(-1)!) as ErrLine };
}

/** A port nothing listens on: connecting to it is refused. */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });

describe('logging an error', () => {
  let tg: FakeTelegram;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  beforeAll(async () => {
    tg = await startFakeTelegram({ limits: false });
    smtp = await startSmtp();
  });
  afterAll(async () => {
    await tg?.close();
    await smtp?.close();
  });

  describe('when the Bot API cannot be reached', () => {
    it('keeps the stack and the cause, and takes the bot token out of every text', async () => {
      const api = new Api(TG_TOKEN, { apiRoot: `http://127.0.0.1:${await closedPort()}` });
      const error = await api.getMe().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(HttpError);
      // The inner error names the URL it called, the token in it: what a plain serializer would print.
      expect(String((error as HttpError).error)).toContain(TG_SECRET);
      const log = capture();
      log.logger.warn({ err: error }, 'Telegram unreachable');
      const line = log.last();
      expect(line.err.type).toBe('HttpError');
      expect(line.err.stack).toMatch(/^HttpError: Network request for 'getMe' failed!\n\s+at /);
      expect(JSON.stringify(line.err.error)).toContain('ECONNREFUSED');
      expect(JSON.stringify(line.err.error)).toContain('/bot[redacted]/getMe');
      expect(log.lines.join('\n')).not.toContain(TG_SECRET);
    });
  });

  describe('when the Bot API refuses a message', () => {
    it('keeps the code and the stack, and drops the message text and the chat', async () => {
      tg.fail({ method: 'sendMessage', status: 400, description: 'Bad Request: chat not found', times: 1 });
      const api = new Api(TG_TOKEN, { apiRoot: tg.apiRoot });
      const error = await api.sendMessage(987654321, BODY).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(GrammyError);
      const log = capture();
      log.logger.error({ err: error, update: 1 }, 'bot handler failed');
      const line = log.last();
      expect(line.err).toMatchObject({
        type: 'GrammyError',
        error_code: 400,
        description: 'Bad Request: chat not found',
        method: 'sendMessage',
        payload: '[redacted]',
      });
      expect(line.err.stack).toMatch(
        /^GrammyError: Call to 'sendMessage' failed! \(400: Bad Request: chat not found\)\n\s+at /,
      );
      expect(log.lines.join('\n')).not.toContain(BODY);
      expect(log.lines.join('\n')).not.toContain('987654321');
    });
  });

  describe('when the SMTP server rejects the recipient', () => {
    it('keeps the stack and the response code, and no address', async () => {
      const transport = nodemailer.createTransport(smtp.url);
      const error = await transport.sendMail({ from: 'dondoc@example.vn', to: ADDRESS, subject: 's', text: BODY }).then(
        () => null,
        (e: unknown) => e,
      );
      transport.close();
      expect(error).toBeInstanceOf(Error);
      expect(JSON.stringify(error)).toContain(ADDRESS);
      const log = capture();
      log.logger.warn({ err: error }, 'delivery failed, will retry');
      const line = log.last();
      expect(line.err.stack).toMatch(/^Error: .*\n\s+at /);
      expect(line.err.responseCode).toBe(550);
      expect(log.lines.join('\n')).not.toContain(ADDRESS);
      expect(log.lines.join('\n')).not.toContain(BODY);
    });
  });

  describe('when an error names a URL with a password or a token', () => {
    it('keeps the stack and replaces the credentials, in the error and in its cause', () => {
      const cause = new Error(`connect ECONNREFUSED smtp://dondoc:${SMTP_PASSWORD}@127.0.0.1:2525`);
      const error = new Error(
        `request to https://api.telegram.org/bot${TG_TOKEN}/sendMessage?access_token=${SMTP_PASSWORD}&x=1 failed; token ${TG_TOKEN}`,
        { cause },
      );
      const log = capture();
      log.logger.error({ err: error }, 'failed');
      const line = log.last();
      expect(line.err.message).toBe(
        'request to https://api.telegram.org/bot[redacted]/sendMessage?access_token=[redacted]&x=1 failed; token [redacted]: connect ECONNREFUSED smtp://[redacted]@127.0.0.1:2525',
      );
      expect(line.err.stack).toContain('error-logging.test.ts');
      expect(line.err.stack).toContain('caused by: Error: connect ECONNREFUSED smtp://[redacted]@127.0.0.1:2525');
      expect(log.lines.join('\n')).not.toContain(TG_SECRET);
      expect(log.lines.join('\n')).not.toContain(SMTP_PASSWORD);
    });

    it('takes them out of an error logged as the first argument too', () => {
      const log = capture();
      log.logger.error(new Error(`https://api.telegram.org/bot${TG_TOKEN}/getMe`), 'failed');
      expect(log.last().err.stack).toMatch(/^Error: https:\/\/api\.telegram\.org\/bot\[redacted\]\/getMe\n\s+at /);
      expect(log.lines.join('\n')).not.toContain(TG_SECRET);
    });
  });
});
