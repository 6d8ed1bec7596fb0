import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';

/** Where the kubelet mounts a pod's service account token, CA and namespace. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeResponse {
  status: number;
  body: unknown;
}

export interface InClusterOptions {
  /** KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT, set by the kubelet in every pod. */
  host: string;
  port: number;
  /** token, ca.crt and namespace (the projected service account volume). */
  serviceAccountDir: string;
  timeoutMs?: number;
}

/** The failure of a call that never got an answer from the API server (network, TLS, timeout). */
export class KubernetesUnreachable extends Error {}

/**
 * The few Kubernetes API calls the gateway makes (issue 18: KafkaUsers of authority clients),
 * with the pod's own service account: HTTPS verified against the cluster CA, the bearer token
 * re-read on every call because bound tokens are rotated by the kubelet (hourly).
 *
 * Plain node:https rather than @kubernetes/client-node: four verbs on two resource types do not
 * justify its dependency tree (websocket, JSONPath, OpenID, YAML) in the gateway's image.
 */
export class KubernetesApi {
  private readonly ca: Buffer;
  readonly namespace: string;

  constructor(private readonly opts: InClusterOptions) {
    this.ca = readFileSync(join(opts.serviceAccountDir, 'ca.crt'));
    this.namespace = readFileSync(join(opts.serviceAccountDir, 'namespace'), 'utf8').trim();
  }

  private token(): string {
    return readFileSync(join(this.opts.serviceAccountDir, 'token'), 'utf8').trim();
  }

  /**
   * One call. Answers every HTTP status (the caller decides what 404 or 409 mean); rejects with
   * KubernetesUnreachable only when no answer came.
   */
  call(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<KubeResponse> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = {
      authorization: `Bearer ${this.token()}`,
      accept: 'application/json',
    };
    if (payload) {
      // PATCH bodies are JSON merge patches (RFC 7386): the fields given replace the stored ones
      headers['content-type'] =
        method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
      headers['content-length'] = payload.length;
    }
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.opts.host,
          port: this.opts.port,
          method,
          path,
          ca: this.ca,
          headers,
          timeout: this.opts.timeoutMs ?? 10_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => reject(new KubernetesUnreachable(String(err))));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? (JSON.parse(text) as unknown) : undefined;
            } catch {
              // a proxy's HTML error page: kept as text for the message
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (err) =>
        reject(new KubernetesUnreachable(`${method} ${path}: ${err.message}`)),
      );
      req.end(payload);
    });
  }
}

/** The API server's own message of a Status answer (or the raw text), for logs and errors. */
export function statusMessage(res: KubeResponse): string {
  const b = res.body;
  if (
    typeof b === 'object' &&
    b !== null &&
    typeof (b as { message?: unknown }).message === 'string'
  )
    return `${res.status} ${(b as { message: string }).message}`;
  return `${res.status} ${typeof b === 'string' ? b.slice(0, 200) : ''}`.trim();
}
