import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';

import { holdResponse } from './response-hold';

/** A real Node response whose output is captured instead of sent. */
function response(): { res: ServerResponse; out: () => string } {
  const req = new IncomingMessage(new Socket());
  const res = new ServerResponse(req);
  const chunks: string[] = [];
  (res as unknown as { _send: (data: string | Buffer) => boolean })._send = (data) => {
    chunks.push(String(data));
    return true;
  };
  return { res, out: () => chunks.join('') };
}

describe('holdResponse', () => {
  it('queues the writes until released, then runs them in order', () => {
    const { res, out } = response();
    res.setHeader('X-Correlation-Id', 'c-1');
    const hold = holdResponse(res)!;
    res.statusCode = 200;
    res.setHeader('ETag', 'W/"3"');
    res.write('{"a":');
    res.end('1}');
    expect(res.headersSent).toBe(false);
    expect(out()).toBe('');
    hold.release();
    expect(res.headersSent).toBe(true);
    expect(res.getHeader('etag')).toBe('W/"3"');
    expect(out()).toContain('{"a":');
    expect(out().indexOf('1}')).toBeGreaterThan(out().indexOf('{"a":'));
    expect(res.end).toBe(ServerResponse.prototype.end);
  });

  it('on failure drops the held answer and undoes its status and headers', () => {
    const { res, out } = response();
    res.setHeader('X-Correlation-Id', 'c-2');
    res.setHeader('Content-Type', 'text/plain');
    const hold = holdResponse(res)!;
    res.statusCode = 201;
    res.setHeader('Location', '/fhir/Patient/9000000009');
    res.setHeader('Content-Type', 'application/fhir+json');
    res.end('{"resourceType":"Patient"}');
    hold.fail();
    expect(res.statusCode).toBe(200);
    expect(res.getHeaders()).toEqual({ 'x-correlation-id': 'c-2', 'content-type': 'text/plain' });
    // the error answer written next goes straight out
    res.statusCode = 503;
    res.end('{"resourceType":"OperationOutcome"}');
    expect(res.headersSent).toBe(true);
    expect(out()).toContain('OperationOutcome');
    expect(out()).not.toContain('Patient');
    hold.release(); // settled once: no effect
    expect(out()).not.toContain('"Patient"');
  });

  it('lets later writes through once released, also through a wrapper added meanwhile', () => {
    const { res, out } = response();
    const hold = holdResponse(res)!;
    const inner = res.end.bind(res) as (chunk?: unknown) => ServerResponse;
    let seen = 0;
    res.end = ((chunk?: unknown) => {
      seen++;
      return inner(chunk);
    }) as ServerResponse['end'];
    res.end('held');
    expect(out()).toBe('');
    hold.release();
    expect(seen).toBe(1);
    expect(out()).toContain('held');
  });

  it('does not hold what is not an HTTP response or is already answered', () => {
    expect(holdResponse(undefined)).toBeUndefined();
    expect(holdResponse({ end: () => undefined })).toBeUndefined();
    const { res } = response();
    res.end('done');
    expect(holdResponse(res)).toBeUndefined();
  });
});
