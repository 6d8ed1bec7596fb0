// FHIR R4 REST at the gateway, as a local system calls it, and polling for what happens later.

export interface FhirResponse {
  status: number;
  body: Record<string, unknown>;
  etag?: string;
}

export async function fhir(
  base: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<FhirResponse> {
  const res = await fetch(`${base}/fhir/${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      accept: 'application/fhir+json',
      ...(body === undefined ? {} : { 'content-type': 'application/fhir+json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    parsed = { text };
  }
  const etag = res.headers.get('etag');
  return { status: res.status, body: parsed, ...(etag ? { etag } : {}) };
}

/** The ids of a searchset Bundle's entries. */
export function bundleIds(bundle: Record<string, unknown>): string[] {
  return bundleResources(bundle).map((r) => String(r['id']));
}

export function bundleResources(bundle: Record<string, unknown>): Array<Record<string, unknown>> {
  const entries =
    (bundle['entry'] as Array<{ resource?: Record<string, unknown> }> | undefined) ?? [];
  return entries.flatMap((e) => (e.resource ? [e.resource] : []));
}

/** The Trellis referral status a ServiceRequest carries in meta.tag (sent, accepted, booked…). */
export function fhirReferralStatus(resource: Record<string, unknown>): string {
  const tags = (resource['meta'] as { tag?: Array<{ system?: string; code?: string }> } | undefined)
    ?.tag;
  return (
    tags?.find((t) => t.system === 'https://fhir.trellis.nhs.uk/CodeSystem/referral-status')
      ?.code ?? 'unknown'
  );
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function eventually<T>(
  what: string,
  probe: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await probe();
    if (ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}
