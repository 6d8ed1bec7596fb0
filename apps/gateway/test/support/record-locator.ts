// Drivers of the record-locator suites (DocumentReference pointers through the FHIR door).
import { faker } from '@faker-js/faker/locale/en_GB';
import type {
  Bundle,
  DocumentReference,
  OperationOutcome,
  Patient,
  Resource,
} from '@medplum/fhirtypes';
import { rulesOf } from '@trellis/fhir';

import { expectValid } from './fhir-assertions';

export const NHS = 'https://fhir.nhs.uk/Id/nhs-number';
export const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code';
export const SCT = 'http://snomed.info/sct';
export const CRISIS_PLAN = '736253002';
export const DISCHARGE = '373942005';

export interface FhirAnswer<T extends Resource = Resource> {
  status: number;
  headers: Headers;
  body: T | undefined;
}

/** FHIR calls against one gateway: every answer passes the validator. */
export function fhirCaller(fhirBase: string) {
  async function http<T extends Resource = Resource>(
    method: string,
    path: string,
    token: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<FhirAnswer<T>> {
    const res = await fetch(`${fhirBase}/${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/fhir+json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    const parsed = text ? (JSON.parse(text) as T) : undefined;
    if (parsed) expectValid(parsed);
    return { status: res.status, headers: res.headers, body: parsed };
  }

  /** A refusal: its status, rules and expressions (every 4xx is an OperationOutcome). */
  async function refused(
    p: Promise<{ status: number; body: Resource | undefined }>,
  ): Promise<{ status: number; rules: string[]; expressions: string[] }> {
    const r = await p;
    expect(r.body?.resourceType).toBe('OperationOutcome');
    const o = r.body as OperationOutcome;
    return {
      status: r.status,
      rules: rulesOf(o),
      expressions: o.issue.flatMap((i) => i.expression ?? []),
    };
  }

  /** A synthetic patient registered by `token`'s organisation: its NHS number. */
  async function patient(token: string, over: Partial<Patient> = {}): Promise<string> {
    const p = await http<Patient>('POST', 'Patient', token, {
      resourceType: 'Patient',
      gender: faker.person.sex(),
      name: [{ family: faker.person.lastName(), given: [faker.person.firstName()] }],
      birthDate: faker.date.birthdate({ min: 20, max: 90, mode: 'age' }).toISOString().slice(0, 10),
      ...over,
    });
    expect(p.status).toBe(201);
    return p.body!.id!;
  }

  return { http, refused, patient };
}

/** A pointer to a synthetic document at the custodian. */
export function pointer(
  nhs: string,
  type: string,
  over: Partial<DocumentReference> = {},
): DocumentReference {
  return {
    resourceType: 'DocumentReference',
    status: 'current',
    masterIdentifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${faker.string.uuid()}` },
    type: { coding: [{ system: SCT, code: type }] },
    subject: { identifier: { system: NHS, value: nhs } },
    content: [
      {
        attachment: {
          contentType: 'application/pdf',
          url: `https://epr.${faker.internet.domainWord()}.example.nhs.uk/documents/${faker.string.alphanumeric(12)}`,
          size: faker.number.int({ min: 1_000, max: 90_000 }),
          title: faker.lorem.words(3),
        },
      },
    ],
    ...over,
  };
}

/** relatesTo replaces `id`: a new version of that pointer. */
export const replacing = (id: string): Partial<DocumentReference> => ({
  relatesTo: [{ code: 'replaces', target: { reference: `DocumentReference/${id}` } }],
});

export const ids = (b: Bundle | undefined): string[] =>
  (b?.entry ?? []).flatMap((e) =>
    e.resource?.resourceType === 'DocumentReference' ? [e.resource.id!] : [],
  );

/** The path below the FHIR base of a Bundle link (next, self). */
export const linkPath = (b: Bundle | undefined, relation: string): string | undefined => {
  const url = b?.link?.find((l) => l.relation === relation)?.url;
  return url === undefined ? undefined : url.slice(url.indexOf('DocumentReference'));
};
