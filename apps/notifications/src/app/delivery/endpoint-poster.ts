import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

import { withTracingSuppressed } from '@trellis/telemetry';

export interface EndpointPost {
  headers: Readonly<Record<string, string>>;
  body: string;
  /** The whole exchange (connect, send, answer) must end within this long. */
  timeoutMs: number;
}

/**
 * POSTs one notification to a subscriber's endpoint. Resolves with the HTTP status (redirects are
 * not followed: a 3xx is an answer like any other); rejects with the cause when no answer came.
 */
export type EndpointPoster = (url: string, post: EndpointPost) => Promise<number>;

/**
 * The delivery worker's transport: node:http(s) over keep-alive agents, so each subscriber's
 * connection is reused from one notification to the next. It replaces the WHATWG `fetch`, whose
 * request/response objects and web streams were the largest share of the worker's CPU in the
 * profile of 1,000 deliveries/s (docs/subscriptions.md, Figures).
 */
export function keepAlivePoster(maxFreeSocketsPerOrigin = 256): EndpointPoster {
  // an origin may serve many subscriptions delivered at once: keep all their connections open
  const options = { keepAlive: true, maxFreeSockets: maxFreeSocketsPerOrigin };
  const agents = { http: new HttpAgent(options), https: new HttpsAgent(options) };
  return (url, { headers, body, timeoutMs }) =>
    new Promise<number>((resolve, reject) => {
      const target = new URL(url);
      const secure = target.protocol === 'https:';
      // untraced, as the fetch it replaced was: no client span per notification and no
      // traceparent sent to the subscriber's system
      const req = withTracingSuppressed(() =>
        (secure ? httpsRequest : httpRequest)(target, {
          method: 'POST',
          agent: secure ? agents.https : agents.http,
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        }),
      );
      const timer = setTimeout(
        () => req.destroy(new Error(`no answer within ${String(timeoutMs)} ms`)),
        timeoutMs,
      );
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      req.on('error', fail);
      req.on('response', (res: IncomingMessage) => {
        res.on('error', fail);
        res.on('end', () => {
          clearTimeout(timer);
          resolve(res.statusCode ?? 0);
        });
        res.resume(); // the answer's body is not read, only drained
      });
      req.end(body);
    });
}
