// Example supplier client for the Trellis conformance kit (issue 17), gp-system role: gets a token
// with its own key, starts a conformance session, runs the four gp-system scenarios the way the
// TestScripts ask (handling every fault the sandbox injects), finishes the session, prints the
// TestReports and, when certified, verifies the certificate with the published JWKS alone.
//
//   GATEWAY_URL=http://localhost:8080 CLIENT_ID=<your client id> \
//   PRIVATE_JWK_FILE=<your private key as a JWK, with kid and alg> [REPORT_ID=<a result to acknowledge>] \
//   node -r @swc-node/register tools/conformance/example-client.ts
//
// The system must be a sandbox system of a gp-system product version, allowed the scopes below.
// Without REPORT_ID the acknowledge-result scenario is not run (so no certificate is issued).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { fakerEN_GB as faker } from '@faker-js/faker';
import { createRemoteJWKSet, importJWK, jwtVerify, SignJWT, type JWK } from 'jose';

const SCOPES = 'system/Patient.cruds system/DiagnosticReport.rus system/TestReport.crs';
const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required (see the header of this file)`);
  return v;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Json = Record<string, unknown>;
interface Answer {
  status: number;
  headers: Headers;
  body: Json;
}

async function token(gateway: string, clientId: string, jwk: JWK & { kid: string; alg: string }) {
  const tokenUrl = `${gateway}/oauth2/token`;
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: jwk.alg, kid: jwk.kid, typ: 'JWT' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(tokenUrl)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + 120)
    .sign(await importJWK(jwk, jwk.alg));
  const res = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
      scope: SCOPES,
    }),
  });
  const body = (await res.json()) as Json;
  if (res.status !== 200) throw new Error(`token: ${res.status} ${JSON.stringify(body)}`);
  return body['access_token'] as string;
}

function client(fhir: string, bearer: string) {
  const call = async (
    scenario: string | null,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> => {
    const res = await fetch(`${fhir}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${bearer}`,
        accept: 'application/fhir+json',
        ...(body === undefined ? {} : { 'content-type': 'application/fhir+json' }),
        ...(scenario ? { 'x-trellis-scenario': scenario } : {}),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: (text ? JSON.parse(text) : {}) as Json,
    };
  };
  /** Retries after 429/503, always waiting the Retry-After the answer names. */
  const patiently = async (scenario: string, method: string, path: string, body?: unknown) => {
    for (let attempt = 0; ; attempt++) {
      const a = await call(scenario, method, path, body);
      if ((a.status !== 429 && a.status !== 503) || attempt === 3) return a;
      await sleep(Number(a.headers.get('retry-after') ?? '1') * 1000 + 100);
    }
  };
  return { call, patiently };
}

async function main(): Promise<void> {
  const gateway = env('GATEWAY_URL').replace(/\/$/, '');
  const fhir = `${gateway}/fhir`;
  const jwk = JSON.parse(readFileSync(env('PRIVATE_JWK_FILE'), 'utf8')) as JWK & {
    kid: string;
    alg: string;
  };
  const { call, patiently } = client(fhir, await token(gateway, env('CLIENT_ID'), jwk));

  const started = await call(null, 'POST', '/TestScript/$start-session', {
    resourceType: 'Parameters',
    parameter: [{ name: 'retry-after', valueInteger: 1 }],
  });
  if (started.status !== 201)
    throw new Error(`start: ${started.status} ${JSON.stringify(started.body)}`);
  const params = started.body['parameter'] as Array<{ name: string; valueId?: string }>;
  const session = params.find((p) => p.name === 'session')!.valueId!;
  console.log(`session ${session}`);

  // gp-system-register-patient: conditional create; trace the patient a duplicate refusal names
  let scenario = 'gp-system-register-patient';
  const family = faker.person.lastName();
  const given = faker.person.firstName();
  const birthDate = faker.date
    .birthdate({ min: 20, max: 90, mode: 'age' })
    .toISOString()
    .slice(0, 10);
  const patient = {
    resourceType: 'Patient',
    name: [{ family, given: [given] }],
    gender: 'female',
    birthDate,
  };
  const cond = {
    'if-none-exist': `family=${encodeURIComponent(family)}&given=${encodeURIComponent(given)}&birthdate=${birthDate}`,
  };
  const created = await call(scenario, 'POST', '/Patient', patient, cond);
  let nhs = created.body['id'] as string;
  const again = await call(scenario, 'POST', '/Patient', patient, cond);
  const named = /Patient\/(\d{10})/.exec(JSON.stringify(again.body))?.[1];
  if (again.status === 412 && named)
    nhs = (await call(scenario, 'GET', `/Patient/${named}`)).body['id'] as string;

  // gp-system-update-if-match: version-aware update; after a 412 read again and retry
  scenario = 'gp-system-update-if-match';
  for (let attempt = 0; attempt < 3; attempt++) {
    const read = await call(scenario, 'GET', `/Patient/${nhs}`);
    const { meta: _meta, ...body } = read.body;
    const put = await call(scenario, 'PUT', `/Patient/${nhs}`, body, {
      'if-match': read.headers.get('etag') ?? '',
    });
    if (put.status !== 412) break;
  }

  // gp-system-read-everything: honour Retry-After
  await patiently('gp-system-read-everything', 'GET', `/Patient/${nhs}/$everything`);

  // gp-system-acknowledge-result: retry after the 503, waiting Retry-After
  const report = process.env['REPORT_ID'];
  if (report)
    await patiently(
      'gp-system-acknowledge-result',
      'POST',
      `/DiagnosticReport/${report}/$acknowledge`,
      {
        resourceType: 'Parameters',
        parameter: [{ name: 'note', valueString: 'seen' }],
      },
    );

  const finished = await call(null, 'POST', '/TestScript/$finish-session', {
    resourceType: 'Parameters',
    parameter: [{ name: 'session', valueId: session }],
  });
  const entries = (finished.body['entry'] ?? []) as Array<{ resource: Json }>;
  for (const { resource: r } of entries.filter(
    (e) => e.resource['resourceType'] === 'TestReport',
  )) {
    console.log(
      `${String(r['result']).toUpperCase()} ${(r['testScript'] as Json)['reference'] as string}`,
    );
    const actions = ((r['test'] as Json[])[0]!['action'] ?? []) as Array<{ assert: Json }>;
    for (const a of actions)
      console.log(
        `  ${String(a.assert['result'])}: ${String(a.assert['message'])}\n    ${String(a.assert['detail'])}`,
      );
  }
  const cert = entries.find((e) => e.resource['resourceType'] === 'VerificationResult')?.resource;
  if (!cert) {
    console.log('no certificate: fix the failed assertions and run a new session');
    process.exitCode = 1;
    return;
  }
  const validator = (cert['validator'] as Json[])[0]!;
  const jwt = Buffer.from(
    (validator['attestationSignature'] as Json)['data'] as string,
    'base64',
  ).toString('utf8');
  const { payload } = await jwtVerify(
    jwt,
    createRemoteJWKSet(new URL(`${gateway}/.well-known/jwks.json`)),
    {
      issuer: gateway,
      typ: 'trellis-conformance-certificate+jwt',
    },
  );
  console.log(
    `certificate ${String(payload.jti)}: ${String(payload['product_version'])} ${String(payload['role'])} until ${new Date(payload.exp! * 1000).toISOString()}`,
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
