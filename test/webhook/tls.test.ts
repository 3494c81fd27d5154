import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryError, type OutgoingMessage, type Recipient } from '#root/channels/types.js';
import { createWebhookChannel } from '#root/channels/webhook/index.js';
import { generateWebhookSecret, verifyWebhookSignature } from '#root/channels/webhook/signature.js';

// A certificate for "vanban.tinh.test" only (made for these tests: openssl req -x509, EC P-256, 100 years).
const cert = readFileSync(new URL('./tls/cert.pem', import.meta.url));
const key = readFileSync(new URL('./tls/key.pem', import.meta.url));
const secret = generateWebhookSecret();

const to: Recipient = {
  contactId: 'c-1',
  name: 'Sở Y tế',
  locale: 'vi',
  email: null,
  telegramChatId: null,
  zaloUserId: null,
};
const message: OutgoingMessage = { orgId: 'o', ref: { digestId: 'd-1' }, subject: 'S', text: 'T' };

/**
 * https: the connection goes to the address checked (here 127.0.0.1, as a DNS of the test answers
 * for vanban.tinh.test), while TLS names the host (SNI) and checks the certificate against it.
 */
describe('the webhook channel over https', () => {
  let server: https.Server;
  let port: number;
  const seen: { servername: string | false | null; host: string | undefined; ok: boolean }[] = [];

  beforeAll(async () => {
    server = https.createServer({ key, cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        seen.push({
          servername: (req.socket as TLSSocket).servername,
          host: req.headers.host,
          ok: verifyWebhookSignature(secret, req.headers['dondoc-signature'], body).ok,
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  const channel = (url: string, ca?: Buffer) =>
    createWebhookChannel({
      address: async () => ({ url, secret }),
      allow: [
        { host: 'vanban.tinh.test', port },
        { host: '127.0.0.1', port },
      ],
      resolve: async () => [{ address: '127.0.0.1', family: 4 }],
      ...(ca ? { ca } : {}),
    });

  it('delivers to the pinned address, naming the host in SNI and Host, the certificate checked against it', async () => {
    const before = seen.length;
    await channel(`https://vanban.tinh.test:${port}/hook`, cert).send(to, message);
    expect(seen.slice(before)).toEqual([
      { servername: 'vanban.tinh.test', host: `vanban.tinh.test:${port}`, ok: true },
    ]);
  });

  it('does not deliver to a certificate it cannot trust, or one for another name: temporary, nothing sent', async () => {
    const before = seen.length;
    for (const [url, ca] of [
      [`https://vanban.tinh.test:${port}/hook`, undefined],
      [`https://127.0.0.1:${port}/hook`, cert],
    ] as const) {
      const error = await channel(url, ca)
        .send(to, message)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(DeliveryError);
      expect(error).toMatchObject({ permanent: false, outcomeUnknown: false });
    }
    expect(seen.length).toBe(before);
  });
});
