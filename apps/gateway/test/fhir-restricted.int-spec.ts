import { status } from '@grpc/grpc-js';
import type { OperationOutcome, Patient } from '@medplum/fhirtypes';
import { identity } from '@trellis/contracts';

import { PlatformCallError, PlatformClients } from '../src/app/fhir/platform-clients';
import { startFhirStack, type FhirStack } from './fhir.harness';

jest.setTimeout(180_000);

/**
 * Restricted records behave the same through both doors (issue 14): identity enforces the rule,
 * the FHIR facade only maps. A GP system without trellis/restricted.read can update a restricted
 * patient's other details, but can neither lift the restriction nor see the withheld fields.
 */
const CONFIDENTIALITY = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';

let stack: FhirStack;
let registrar: string; // holds trellis/restricted.read
let gp: string; // does not

async function http(
  method: string,
  path: string,
  token: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${stack.fhirBase}/${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body ? { 'content-type': 'application/fhir+json' } : {}),
      ...headers,
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  stack = await startFhirStack();
  ({ token: registrar } = await stack.token(['system/Patient.cruds', 'trellis/restricted.read']));
  ({ token: gp } = await stack.token(['system/Patient.crus'], 'B82001'));
});

afterAll(async () => {
  await stack?.stop();
});

describe('restricted patients through the FHIR and gRPC doors', () => {
  let id: string;

  beforeAll(async () => {
    const created = await http('POST', 'Patient', registrar, {
      resourceType: 'Patient',
      meta: { security: [{ system: CONFIDENTIALITY, code: 'R' }] },
      name: [{ use: 'official', family: 'Trewhella', given: ['Senara'] }],
      gender: 'female',
      birthDate: '1983-09-21',
      address: [{ use: 'home', line: ['4 Quay Street'], city: 'Truro', postalCode: 'TR1 2HE' }],
      telecom: [{ system: 'phone', value: '01872 960000', use: 'home' }],
    });
    expect(created.status).toBe(201);
    id = (created.body as unknown as Patient).id!;
  });

  it('lets the GP update a redacted record it read back without clearing the withheld fields', async () => {
    const read = await http('GET', `Patient/${id}`, gp);
    const redacted = read.body as unknown as Patient;
    expect(redacted.address).toBeUndefined();
    expect(redacted.telecom).toBeUndefined();
    const renamed = {
      ...redacted,
      name: [{ use: 'official', family: 'Trewhella', given: ['Sen'] }],
    };
    const put = await http('PUT', `Patient/${id}`, gp, renamed, {
      'if-match': `W/"${redacted.meta!.versionId!}"`,
    });
    expect(put.status).toBe(200);
    const full = (await http('GET', `Patient/${id}`, registrar)).body as unknown as Patient;
    expect(full.name?.[0]?.given).toEqual(['Sen']);
    expect(full.address?.[0]?.postalCode).toBe('TR1 2HE');
    expect(full.telecom?.[0]?.value).toBe('01872 960000');
  });

  it('refuses lifting the restriction on both doors (403 / PERMISSION_DENIED), and nothing changes', async () => {
    const redacted = (await http('GET', `Patient/${id}`, gp)).body as unknown as Patient;
    const lifted = { ...redacted, meta: { ...redacted.meta, security: [] } };
    const put = await http('PUT', `Patient/${id}`, gp, lifted, {
      'if-match': `W/"${redacted.meta!.versionId!}"`,
    });
    expect(put.status).toBe(403);
    const outcome = put.body as unknown as OperationOutcome;
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue?.[0]?.code).toBe('forbidden');

    const clients = new PlatformClients({ identity: stack.frontDoor }, 5000);
    const grpc = await clients
      .call(
        clients.patients.updatePatient,
        {
          nhsNumber: id,
          expectedVersion: Number(redacted.meta!.versionId),
          changes: { confidentiality: identity.v1.Confidentiality.CONFIDENTIALITY_NORMAL },
        },
        { authorization: `Bearer ${gp}` },
      )
      .then(
        () => undefined,
        (err: unknown) => err,
      )
      .finally(() => clients.close());
    expect(grpc).toBeInstanceOf(PlatformCallError);
    const decoded = (grpc as PlatformCallError).decoded;
    expect(decoded.code).toBe(status.PERMISSION_DENIED);
    expect(decoded.fieldViolations).toEqual([
      expect.objectContaining({ field: 'changes.confidentiality' }),
    ]);
    const after = (await http('GET', `Patient/${id}`, gp)).body as unknown as Patient;
    expect(after.meta?.versionId).toBe(redacted.meta?.versionId);
    expect(after.address).toBeUndefined();
  });
});
