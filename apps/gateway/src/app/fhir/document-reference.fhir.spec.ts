import type { DocumentReference } from '@medplum/fhirtypes';
import { records } from '@trellis/contracts';
import { FhirError, structuralIssues } from '@trellis/fhir';

import { pointerFieldPath, pointerRequestFromFhir, pointerToFhir } from './document-reference.fhir';

const NHS = 'https://fhir.nhs.uk/Id/nhs-number';
const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code';

const body = (over: Partial<DocumentReference> = {}): DocumentReference => ({
  resourceType: 'DocumentReference',
  status: 'current',
  type: { coding: [{ system: 'http://snomed.info/sct', code: '736253002' }] },
  subject: { identifier: { system: NHS, value: '9990000018' } },
  content: [
    { attachment: { url: 'https://docs.example.nhs.uk/1', contentType: 'application/pdf' } },
  ],
  ...over,
});

function refusal(d: DocumentReference, ods = 'R1K01'): [number, string[]] {
  try {
    pointerRequestFromFhir(d, ods);
  } catch (err) {
    if (!(err instanceof FhirError)) throw err;
    return [err.status, err.issues.map((i) => `${i.rule}@${i.expression ?? ''}`)];
  }
  throw new Error('accepted');
}

describe('DocumentReference → pointer', () => {
  it('reads patient, type, content and the optional author and master identifier', () => {
    const r = pointerRequestFromFhir(
      body({
        masterIdentifier: { system: 'urn:oid:1.2.3', value: 'doc-1' },
        author: [{ identifier: { system: ODS, value: 'Y12345' } }],
        custodian: { identifier: { system: ODS, value: 'r1k01' } },
      }),
      'R1K01',
    );
    expect(r).toEqual({
      pointer: expect.objectContaining({
        nhsNumber: '9990000018',
        typeCode: '736253002',
        masterIdentifierSystem: 'urn:oid:1.2.3',
        masterIdentifierValue: 'doc-1',
        authorOdsCode: 'Y12345',
        content: expect.objectContaining({ url: 'https://docs.example.nhs.uk/1' }) as unknown,
      }) as unknown,
    });
  });

  it('takes a relatesTo replaces as a supersede of that pointer', () => {
    const id = '0b6f7c1e-5f0e-4a8e-9d55-0a4e1f2b3c4d';
    const r = pointerRequestFromFhir(
      body({ relatesTo: [{ code: 'replaces', target: { reference: `DocumentReference/${id}` } }] }),
      'R1K01',
    );
    expect(r.replacesId).toBe(id);
  });

  it('names every element it cannot take (422)', () => {
    expect(
      refusal(
        body({
          status: 'superseded',
          subject: { reference: 'Patient/123' },
          type: { coding: [{ system: 'http://snomed.info/sct', code: '22298006' }] },
          content: [],
          relatesTo: [{ code: 'transforms', target: { reference: 'DocumentReference/x' } }],
        }),
      ),
    ).toEqual([
      422,
      [
        'document-reference.status@DocumentReference.status',
        'document-reference.subject@DocumentReference.subject',
        'terminology.value-set@DocumentReference.type.coding[0].code',
        'document-reference.content@DocumentReference.content',
        'document-reference.relates-to@DocumentReference.relatesTo',
      ],
    ]);
  });

  it('refuses another organisation as custodian (403): it is never taken from the body', () => {
    expect(refusal(body({ custodian: { identifier: { system: ODS, value: 'Y12345' } } }))).toEqual([
      403,
      ['document-reference.custodian@DocumentReference.custodian'],
    ]);
  });

  it('maps platform fields to FHIRPath', () => {
    expect(pointerFieldPath('pointer.content.content_type')).toBe(
      'DocumentReference.content[0].attachment.contentType',
    );
    expect(pointerFieldPath('pointer.nhs_number')).toBe('DocumentReference.subject');
    expect(pointerFieldPath('replaces_id')).toBe('DocumentReference.relatesTo[0].target');
  });
});

describe('pointer → DocumentReference', () => {
  it('is a valid R4 DocumentReference with custodian, status and relatesTo', () => {
    const d = pointerToFhir(
      records.v1.Pointer.fromPartial({
        id: '0b6f7c1e-5f0e-4a8e-9d55-0a4e1f2b3c4d',
        version: 2,
        status: records.v1.PointerStatus.POINTER_STATUS_SUPERSEDED,
        nhsNumber: '9990000018',
        typeCode: '373942005',
        typeDisplay: 'Discharge summary',
        custodianOdsCode: 'R1K01',
        content: { url: 'https://docs.example.nhs.uk/1', contentType: 'application/pdf', size: 10 },
        replacesId: '1b6f7c1e-5f0e-4a8e-9d55-0a4e1f2b3c4d',
        createdAt: { seconds: 1_800_000_000, nanos: 0 },
        updatedAt: { seconds: 1_800_000_100, nanos: 0 },
      }),
    );
    expect(structuralIssues(d)).toEqual([]);
    expect(d).toMatchObject({
      status: 'superseded',
      meta: { versionId: '2' },
      custodian: { identifier: { system: ODS, value: 'R1K01' } },
      relatesTo: [
        {
          code: 'replaces',
          target: { reference: 'DocumentReference/1b6f7c1e-5f0e-4a8e-9d55-0a4e1f2b3c4d' },
        },
      ],
      content: [{ attachment: { size: 10 } }],
    });
  });
});
