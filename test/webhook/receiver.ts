import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature, type VerifyResult } from '#root/channels/webhook/signature.js';

/** One request the receiver got, with the result of checking its signature. */
export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  verified: VerifyResult;
}

/** What the receiver answers the next request with: a status (and headers), a redirect, or nothing at all. */
export type Answer =
  | { status: number; headers?: Record<string, string> }
  | { redirect: string; status?: 301 | 302 | 303 | 307 | 308 }
  | { hang: true };

/**
 * A real HTTP receiver on 127.0.0.1, as a province's document system would be: it reads the raw
 * body, checks `Dondoc-Signature` with the secret (of the path's contact: verifyWebhookSignature), records the request and
 * answers as told (the queued answers first, then `fallback`).
 */
export async function startReceiver(
  secret: string | ((path: string) => string | undefined),
  fallback: Answer = { status: 200 },
) {
  const secretOf = (path: string) => (typeof secret === 'string' ? secret : (secret(path) ?? ''));
  const received: Received[] = [];
  const queue: Answer[] = [];
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({
        path: req.url ?? '',
        headers: req.headers,
        body,
        verified: verifyWebhookSignature(secretOf(req.url ?? ''), req.headers['dondoc-signature'], body),
      });
      const answer = queue.shift() ?? fallback;
      if ('hang' in answer) {
        hanging.add(res);
        return;
      }
      if ('redirect' in answer) {
        res.writeHead(answer.status ?? 307, { location: answer.redirect });
        res.end();
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(JSON.stringify({ ok: answer.status < 300 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    received,
    /** Answers the next requests with these, in order. */
    answer(...answers: Answer[]) {
      queue.push(...answers);
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
