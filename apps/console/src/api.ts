import type { Session } from './auth';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Reads the diagnostic of a FHIR OperationOutcome or a JSON error body. */
async function problemOf(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as {
      issue?: Array<{ diagnostics?: string }>;
      message?: string;
      error?: { message?: string } | string;
    };
    return (
      body.issue?.[0]?.diagnostics ??
      body.message ??
      (typeof body.error === 'string' ? body.error : body.error?.message) ??
      res.statusText
    );
  } catch {
    return res.statusText;
  }
}

/** A call to the gateway's public APIs (same origin) with the session's bearer token. */
export async function api<T>(
  session: Session,
  path: string,
  init: { method?: string; body?: unknown; fhir?: boolean } = {},
): Promise<T> {
  const type = init.fhir ? 'application/fhir+json' : 'application/json';
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${session.accessToken}`,
      accept: type,
      ...(init.body !== undefined ? { 'content-type': type } : {}),
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  if (!res.ok) throw new ApiError(res.status, await problemOf(res));
  return (await res.json()) as T;
}
