// A fake Kubernetes API server for the Strimzi adapter's tests: real HTTPS (a throwaway
// self-signed certificate made with openssl), a service account directory (token, ca.crt,
// namespace) as the kubelet mounts it, and the API server's answers for the calls the gateway
// makes: create (201, or 409 when the name exists), JSON merge patch (200, 404 when absent),
// delete (200, 404), with Status bodies; a wrong token is 401. Every request is recorded.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Recorded {
  method: string;
  path: string;
  contentType: string | undefined;
  authorization: string | undefined;
  body: unknown;
}

type Obj = Record<string, unknown>;

/** RFC 7386 merge patch. */
function merge(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Obj =
    typeof target === 'object' && target !== null && !Array.isArray(target)
      ? { ...(target as Obj) }
      : {};
  for (const [k, v] of Object.entries(patch as Obj)) {
    if (v === null) delete out[k];
    else out[k] = merge(out[k], v);
  }
  return out;
}

const status = (code: number, reason: string, message: string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  reason,
  message,
  code,
});

export class FakeKubeApi {
  readonly requests: Recorded[] = [];
  /** Stored objects by item path (…/kafkausers/<name>). */
  readonly objects = new Map<string, Obj>();
  readonly namespace = 'trellis-test';
  readonly token = `token-${randomUUID()}`;
  readonly dir: string;
  private readonly server: Server;
  private failures: { method: string; path: RegExp; code: number; reason: string }[] = [];

  private constructor(dir: string, key: Buffer, cert: Buffer) {
    this.dir = dir;
    this.server = createServer({ key, cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const rec: Recorded = {
          method: req.method ?? '',
          path: req.url ?? '',
          contentType: req.headers['content-type'],
          authorization: req.headers.authorization,
          body: text ? (JSON.parse(text) as unknown) : undefined,
        };
        this.requests.push(rec);
        const [code, body] = this.answer(rec);
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      });
    });
  }

  static async start(): Promise<FakeKubeApi> {
    const dir = mkdtempSync(join(tmpdir(), 'fake-kube-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'tls.key'),
        '-out',
        join(dir, 'ca.crt'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const fake = new FakeKubeApi(
      dir,
      readFileSync(join(dir, 'tls.key')),
      readFileSync(join(dir, 'ca.crt')),
    );
    writeFileSync(join(dir, 'token'), `${fake.token}\n`);
    writeFileSync(join(dir, 'namespace'), fake.namespace);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The next request of this method on a matching path is answered with this error. */
  failNext(method: string, path: RegExp, code: number, reason: string): void {
    this.failures.push({ method, path, code, reason });
  }

  clear(): void {
    this.requests.length = 0;
  }

  private answer(r: Recorded): [number, unknown] {
    if (r.authorization !== `Bearer ${this.token}`)
      return [401, status(401, 'Unauthorized', 'Unauthorized')];
    const f = this.failures.findIndex((x) => x.method === r.method && x.path.test(r.path));
    if (f >= 0) {
      const [x] = this.failures.splice(f, 1);
      return [x!.code, status(x!.code, x!.reason, `${x!.reason} (fake)`)];
    }
    const body = (r.body ?? {}) as Obj;
    switch (r.method) {
      case 'POST': {
        const name = (body['metadata'] as { name?: string } | undefined)?.name ?? '';
        const item = `${r.path}/${name}`;
        if (this.objects.has(item))
          return [409, status(409, 'AlreadyExists', `${name} already exists`)];
        const stored = merge(body, {
          metadata: { uid: randomUUID(), resourceVersion: '1' },
        }) as Obj;
        this.objects.set(item, stored);
        return [201, stored];
      }
      case 'PATCH': {
        const cur = this.objects.get(r.path);
        if (!cur) return [404, status(404, 'NotFound', `${r.path} not found`)];
        const next = merge(cur, body) as Obj;
        this.objects.set(r.path, next);
        return [200, next];
      }
      case 'DELETE': {
        const cur = this.objects.get(r.path);
        if (!cur) return [404, status(404, 'NotFound', `${r.path} not found`)];
        this.objects.delete(r.path);
        return [200, cur];
      }
      case 'GET': {
        const cur = this.objects.get(r.path);
        return cur ? [200, cur] : [404, status(404, 'NotFound', `${r.path} not found`)];
      }
      default:
        return [405, status(405, 'MethodNotAllowed', r.method)];
    }
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
