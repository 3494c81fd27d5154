import type net from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmailChannel } from '#root/channels/email/index.js';
import { DeliveryError, type Recipient } from '#root/channels/types.js';

/**
 * A real SMTP server that fails sends at chosen points, by the recipient's address: `hang-rcpt`
 * never answers RCPT TO; `hang-data` reads the whole message and never answers it; `drop-data`
 * reads the whole message and cuts the connection instead of answering; `busy-data` answers the
 * message 451. Anyone else is accepted.
 */
async function startFaultySmtp() {
  const sockets = new Set<net.Socket>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (address.address.startsWith('hang-rcpt')) return; // never answered
      callback();
    },
    onData(stream, session, callback) {
      const to = session.envelope.rcptTo[0]?.address ?? '';
      stream.resume();
      stream.on('end', () => {
        if (to.startsWith('hang-data')) return; // the message is in; no answer
        if (to.startsWith('drop-data')) {
          for (const socket of sockets) socket.destroy();
          return;
        }
        if (to.startsWith('busy-data'))
          return callback(Object.assign(new Error('Try again later'), { responseCode: 451 }));
        callback();
      });
    },
  });
  server.server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as net.AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const recipient = (email: string): Recipient => ({
  contactId: `c-${email}`,
  name: 'Nguyễn Văn An',
  locale: 'vi',
  email,
  telegramChatId: null,
  zaloUserId: null,
});

describe('an email whose SMTP exchange fails', () => {
  let smtp: Awaited<ReturnType<typeof startFaultySmtp>>;
  let email: ReturnType<typeof createEmailChannel>;

  beforeAll(async () => {
    smtp = await startFaultySmtp();
    // The socket timeout (SMTP_TIMEOUT_SECONDS) at 1 s: the server's silence is what is tested.
    email = createEmailChannel({
      url: smtp.url,
      from: 'dondoc <dondoc@example.gov.vn>',
      ratePerMinute: 6_000,
      timeoutSeconds: 1,
    });
  });

  afterAll(async () => {
    await email?.close?.();
    await smtp?.close();
  });

  async function failure(address: string): Promise<DeliveryError> {
    const e = await email
      .send(recipient(address), {
        orgId: 'o1',
        ref: { reminderId: `r-${address}` },
        subject: 'Nhắc hạn',
        text: 'Nội dung',
      })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(e).toBeInstanceOf(DeliveryError);
    return e as DeliveryError;
  }

  it('is of unknown outcome when the server goes silent after the message’s data (it may have queued it)', async () => {
    const e = await failure('hang-data@example.gov.vn');
    expect(e).toMatchObject({ permanent: false, outcomeUnknown: true, cause: { code: 'ETIMEDOUT' } });
  });

  it('is of unknown outcome when the connection is cut after the message’s data', async () => {
    const e = await failure('drop-data@example.gov.vn');
    expect(e).toMatchObject({ permanent: false, outcomeUnknown: true, cause: { code: 'ECONNECTION' } });
  });

  it('is a plain temporary failure when the server goes silent before the data (at RCPT TO): nothing went out', async () => {
    const e = await failure('hang-rcpt@example.gov.vn');
    expect(e).toMatchObject({ permanent: false, outcomeUnknown: false, cause: { code: 'ETIMEDOUT' } });
  });

  it('is a known temporary failure when the server answers the data 451', async () => {
    const e = await failure('busy-data@example.gov.vn');
    expect(e).toMatchObject({ permanent: false, outcomeUnknown: false, message: 'SMTP: 451' });
  });

  it('still delivers to an address that works, on the same pool', async () => {
    await expect(
      email.send(recipient('an@example.gov.vn'), {
        orgId: 'o1',
        ref: { reminderId: 'r-ok' },
        subject: 'Nhắc hạn',
        text: 'x',
      }),
    ).resolves.toMatchObject({ externalId: expect.any(String) });
  });
});
