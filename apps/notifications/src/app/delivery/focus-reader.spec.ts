import { SERVICE_TOKEN_HEADER } from '@trellis/auth';

import { GatewayFocusReader } from './focus-reader';

interface Call {
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** A gateway answering the token path and the FHIR read from scripts, recording the calls. */
function gateway(read: () => Response, token: () => Response = () => ok('tok-1')) {
  const calls: Call[] = [];
  const fetchImpl = (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({
      url: String(url),
      headers: (init?.headers ?? {}) as Record<string, string>,
      ...(typeof init?.body === 'string' ? { body: init.body } : {}),
    });
    return String(url).endsWith('/delivery-token') ? token() : read();
  }) as typeof fetch;
  return {
    calls,
    reader: new GatewayFocusReader('https://gw.example/', () => 'svc', 1000, fetchImpl),
  };
}

const ok = (token: string) =>
  new Response(JSON.stringify({ access_token: token, expires_in: 300 }), { status: 200 });
const report = () =>
  new Response(JSON.stringify({ resourceType: 'DiagnosticReport', id: 'r1' }), { status: 200 });

describe('GatewayFocusReader', () => {
  it('asks a delivery token with its service token, reads the focus with it, and reuses it', async () => {
    const g = gateway(report);
    const scopes = ['system/DiagnosticReport.rs', 'system/Patient.r'];
    expect(await g.reader.read('sys-1', scopes, 'DiagnosticReport/r1')).toEqual({
      kind: 'resource',
      resource: { resourceType: 'DiagnosticReport', id: 'r1' },
    });
    await g.reader.read('sys-1', scopes, 'DiagnosticReport/r2');
    expect(g.calls.map((c) => c.url)).toEqual([
      'https://gw.example/internal/notifications/delivery-token',
      'https://gw.example/fhir/DiagnosticReport/r1',
      'https://gw.example/fhir/DiagnosticReport/r2',
    ]);
    expect(g.calls[0]?.headers[SERVICE_TOKEN_HEADER]).toBe('svc');
    expect(new URLSearchParams(g.calls[0]?.body).get('scope')).toBe(scopes.join(' '));
    expect(g.calls[1]?.headers['authorization']).toBe('Bearer tok-1');
  });

  it('a refused read goes without the resource; a failed one or a refused token is retried later', async () => {
    expect(
      await gateway(() => new Response(null, { status: 404 })).reader.read('s', ['x'], 'A/1'),
    ).toEqual({ kind: 'refused', status: 404 });
    expect(
      await gateway(() => new Response(null, { status: 503 })).reader.read('s', ['x'], 'A/1'),
    ).toEqual({ kind: 'failed', problem: 'focus read answered 503' });
    const refused = gateway(
      report,
      () => new Response(JSON.stringify({ error: 'invalid_grant' }), { status: 400 }),
    );
    expect(await refused.reader.read('s', ['x'], 'A/1')).toEqual({
      kind: 'failed',
      problem: 'delivery token refused: 400 invalid_grant',
    });
  });

  it('forgets a token the door answered 401 to', async () => {
    let first = true;
    const g = gateway(() => {
      const status = first ? 401 : 200;
      first = false;
      return status === 401 ? new Response(null, { status }) : report();
    });
    expect((await g.reader.read('s', ['x'], 'A/1')).kind).toBe('failed');
    expect((await g.reader.read('s', ['x'], 'A/1')).kind).toBe('resource');
    expect(g.calls.filter((c) => c.url.endsWith('/delivery-token'))).toHaveLength(2);
  });
});
