import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { keepAlivePoster } from './endpoint-poster';

interface Seen {
  body: string;
  headers: IncomingMessage['headers'];
  clientPort: number | undefined;
}

async function serve(
  answer: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      seen.push({ body, headers: req.headers, clientPort: req.socket.remotePort });
      answer(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${String(port)}/hook`, seen, server };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((r) => {
          s.closeAllConnections();
          s.close(() => r());
        }),
    ),
  );
});

describe('keepAlivePoster', () => {
  it('posts the body with its headers, answers the status and reuses the connection', async () => {
    const hook = await serve((_req, res) => res.writeHead(204).end());
    servers.push(hook.server);
    const post = keepAlivePoster();
    const sent = {
      headers: { 'content-type': 'application/fhir+json', 'x-a': '1' },
      timeoutMs: 2000,
    };
    expect(await post(hook.url, { ...sent, body: '{"n":1}' })).toBe(204);
    expect(await post(hook.url, { ...sent, body: '{"n":2}' })).toBe(204);
    expect(hook.seen.map((s) => s.body)).toEqual(['{"n":1}', '{"n":2}']);
    expect(hook.seen[0]?.headers['x-a']).toBe('1');
    expect(hook.seen[0]?.headers['content-type']).toBe('application/fhir+json');
    // the second notification went over the first one's connection
    expect(hook.seen[1]?.clientPort).toBe(hook.seen[0]?.clientPort);
  });

  it('answers a redirect as a status (not followed) and an error status as it is', async () => {
    const hook = await serve((req, res) =>
      req.url === '/hook'
        ? res.writeHead(302, { location: '/elsewhere' }).end()
        : res.writeHead(204).end(),
    );
    servers.push(hook.server);
    const post = keepAlivePoster();
    expect(await post(hook.url, { headers: {}, body: '{}', timeoutMs: 2000 })).toBe(302);
    expect(hook.seen).toHaveLength(1);
  });

  it('rejects when the endpoint does not answer within the timeout, or cannot be reached', async () => {
    const hook = await serve(() => undefined); // never answers
    servers.push(hook.server);
    const post = keepAlivePoster();
    await expect(post(hook.url, { headers: {}, body: '{}', timeoutMs: 100 })).rejects.toThrow(
      'no answer within 100 ms',
    );
    const closed = await serve((_req, res) => res.end());
    await new Promise<void>((r) => closed.server.close(() => r()));
    await expect(post(closed.url, { headers: {}, body: '{}', timeoutMs: 2000 })).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });
});
