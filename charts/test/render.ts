/**
 * Renders charts/trellis with the real `helm template` (no mocks) and parses the manifests.
 * Helm comes from tools/setup/helm.sh (.trellis/bin/helm) or PATH; when it is missing the tests
 * fail with instructions rather than skip, so CI can never pass without checking the chart.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { parseAllDocuments } from 'yaml';

export const ROOT = resolve(__dirname, '../..');
export const CHART = join(ROOT, 'charts/trellis');
export const KUBE_VERSION = '1.31.0';
export const APPS = [
  'gateway',
  'identity',
  'appointments',
  'referrals',
  'results',
  'router',
  'conformance',
  'audit',
  'notifications',
] as const;
export const RELEASE = 'trellis';

export type Obj = Record<string, unknown>;
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Obj;
  [key: string]: unknown;
}

export function helmBinary(): string {
  const local = join(ROOT, '.trellis/bin/helm');
  if (existsSync(local)) return local;
  const probe = spawnSync('helm', ['version', '--short'], { encoding: 'utf8' });
  if (probe.status === 0) return 'helm';
  throw new Error(
    'helm not found: run `bash tools/setup/helm.sh` (builds .trellis/bin/helm from the Go module proxy)',
  );
}

export interface RenderResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `helm template` with values files (relative to the chart) and --set pairs. */
export function helmTemplate(
  valuesFiles: string[] = [],
  set: Record<string, string> = {},
  extra: string[] = [],
): RenderResult {
  const args = [
    'template',
    RELEASE,
    CHART,
    '--namespace',
    'trellis',
    '--kube-version',
    KUBE_VERSION,
  ];
  for (const f of valuesFiles) args.push('-f', join(CHART, f));
  for (const [k, v] of Object.entries(set)) args.push('--set-string', `${k}=${v}`);
  args.push(...extra);
  const r = spawnSync(helmBinary(), args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function render(
  valuesFiles: string[] = [],
  set: Record<string, string> = {},
  extra: string[] = [],
): Manifest[] {
  const r = helmTemplate(valuesFiles, set, extra);
  if (r.status !== 0) throw new Error(`helm template failed (${r.status}):\n${r.stderr}`);
  return parseAllDocuments(r.stdout)
    .map((d) => {
      if (d.errors.length > 0)
        throw new Error(`invalid YAML rendered: ${d.errors.map((e) => e.message).join('; ')}`);
      return d.toJS() as Manifest | null;
    })
    .filter((m): m is Manifest => m !== null);
}

export function byKind(manifests: Manifest[], kind: string): Manifest[] {
  return manifests.filter((m) => m.kind === kind);
}

export function one(manifests: Manifest[], kind: string, name: string): Manifest {
  const found = manifests.filter((m) => m.kind === kind && m.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind}/${name}, found ${found.length}`);
  return found[0]!;
}

/** Typed path lookup: get(obj, 'spec', 'template', 'spec'). */
export function get<T = unknown>(value: unknown, ...path: (string | number)[]): T {
  let cur: unknown = value;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object')
      throw new Error(`no ${path.join('.')} (stopped at ${String(key)})`);
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur as T;
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string } };
  }[];
  securityContext?: Obj;
  volumeMounts?: { name: string; mountPath: string }[];
  startupProbe?: Obj;
  readinessProbe?: Obj;
  livenessProbe?: Obj;
  resources?: Obj;
  ports?: { name: string; containerPort: number }[];
}

export interface PodSpec {
  containers: Container[];
  securityContext?: Obj;
  volumes?: { name: string; emptyDir?: Obj; secret?: Obj }[];
  automountServiceAccountToken?: boolean;
  serviceAccountName?: string;
}

/** The pod spec of a Deployment, Job or Pod. */
export function podSpec(m: Manifest): PodSpec {
  if (m.kind === 'Pod') return m.spec as unknown as PodSpec;
  return get<PodSpec>(m, 'spec', 'template', 'spec');
}

/** Minimal external wiring so the default values render (dev-only inline credentials). */
export const DEV_SET = {
  'database.url': 'postgresql://trellis:dev@postgres:5432/trellis',
  'kafka.brokers': 'kafka:9092',
  'kafka.sasl.password': 'dev-only',
  'auth.signingKeysSecret': 'gateway-keys',
  'auth.serviceTokenKeysSecret': 'service-token-keys',
};
