import type { DocumentReference } from '@medplum/fhirtypes';
import { recordType, SNOMED_SYSTEM } from '@trellis/codes';
import { fromTimestamp, records } from '@trellis/contracts';
import {
  FhirError,
  NHS_NUMBER_SYSTEM,
  ODS_ORGANISATION_SYSTEM,
  validateNhsNumber,
  type FhirIssue,
} from '@trellis/fhir';

const { PointerStatus } = records.v1;

/**
 * DocumentReference ⇄ record locator pointer (England's NRL pointer model): subject by NHS number,
 * type from the record-type SNOMED CT value set, custodian = the registering organisation, one
 * content.attachment (https url + contentType), relatesTo `replaces` for a new version.
 */
const STATUS: Record<number, DocumentReference['status']> = {
  [PointerStatus.POINTER_STATUS_CURRENT]: 'current',
  [PointerStatus.POINTER_STATUS_SUPERSEDED]: 'superseded',
  [PointerStatus.POINTER_STATUS_DELETED]: 'entered-in-error',
};

const iso = (t: records.v1.Pointer['createdAt']) =>
  t ? fromTimestamp(t).toISOString() : undefined;

export function pointerToFhir(p: records.v1.Pointer): DocumentReference {
  const c = p.content;
  const updated = iso(p.updatedAt);
  const created = iso(p.createdAt);
  return {
    resourceType: 'DocumentReference',
    id: p.id,
    meta: { versionId: String(p.version), ...(updated ? { lastUpdated: updated } : {}) },
    ...(p.masterIdentifierValue
      ? { masterIdentifier: { system: p.masterIdentifierSystem, value: p.masterIdentifierValue } }
      : {}),
    status: STATUS[p.status] ?? 'current',
    type: {
      coding: [
        {
          system: SNOMED_SYSTEM,
          code: p.typeCode,
          ...(p.typeDisplay ? { display: p.typeDisplay } : {}),
        },
      ],
    },
    subject: { identifier: { system: NHS_NUMBER_SYSTEM, value: p.nhsNumber } },
    ...(created ? { date: created } : {}),
    ...(p.authorOdsCode
      ? { author: [{ identifier: { system: ODS_ORGANISATION_SYSTEM, value: p.authorOdsCode } }] }
      : {}),
    custodian: { identifier: { system: ODS_ORGANISATION_SYSTEM, value: p.custodianOdsCode } },
    ...(p.replacesId
      ? {
          relatesTo: [
            { code: 'replaces', target: { reference: `DocumentReference/${p.replacesId}` } },
          ],
        }
      : {}),
    content: [
      {
        attachment: {
          contentType: c?.contentType ?? '',
          url: c?.url ?? '',
          ...(c?.size ? { size: c.size } : {}),
          ...(c?.hash ? { hash: c.hash } : {}),
          ...(c?.title ? { title: c.title } : {}),
          ...(c?.creation ? { creation: c.creation } : {}),
        },
      },
    ],
  };
}

/** What a POSTed DocumentReference asks for: a new pointer, or a new version of one (relatesTo). */
export interface PointerRequest {
  pointer: records.v1.PointerInput;
  replacesId?: string;
}

const issue = (rule: string, message: string, expression: string): FhirIssue => ({
  severity: 'error',
  code: 'business-rule',
  rule,
  message,
  expression,
});

/**
 * The pointer a DocumentReference registers, or 422 naming every element the record locator cannot
 * take; a custodian other than the caller's organisation is 403 (it is never taken from the body).
 */
export function pointerRequestFromFhir(d: DocumentReference, callerOds: string): PointerRequest {
  const issues: FhirIssue[] = [];
  if (d.status !== 'current')
    issues.push(
      issue(
        'document-reference.status',
        'a pointer is registered current',
        'DocumentReference.status',
      ),
    );
  const nhs = subjectNhs(d);
  if (nhs === undefined)
    issues.push(
      issue(
        'document-reference.subject',
        `subject must name the patient by NHS number (identifier ${NHS_NUMBER_SYSTEM} or Patient/<NHS number>)`,
        'DocumentReference.subject',
      ),
    );
  const codings = (d.type?.coding ?? []).filter((c) => c.system === SNOMED_SYSTEM && c.code);
  const typeCode = codings[0]?.code ?? '';
  if (codings.length !== 1)
    issues.push(
      issue(
        'document-reference.type',
        `type needs exactly one ${SNOMED_SYSTEM} coding from the record-type value set`,
        'DocumentReference.type',
      ),
    );
  else if (!recordType(typeCode))
    issues.push({
      ...issue(
        'terminology.value-set',
        `${typeCode} is not a record type of the record locator (see the CapabilityStatement)`,
        'DocumentReference.type.coding[0].code',
      ),
      code: 'code-invalid',
    });
  const custodian = d.custodian?.identifier;
  if (
    d.custodian &&
    (custodian?.system !== ODS_ORGANISATION_SYSTEM ||
      (custodian.value ?? '').toUpperCase() !== callerOds.toUpperCase())
  )
    throw FhirError.of(
      403,
      'forbidden',
      'document-reference.custodian',
      `the custodian is the caller's organisation (${callerOds}); omit it or name that ODS code`,
      'DocumentReference.custodian',
    );
  const authors = d.author ?? [];
  const author = authors[0]?.identifier;
  if (authors.length > 1 || (author && author.system !== ODS_ORGANISATION_SYSTEM))
    issues.push(
      issue(
        'document-reference.author',
        `at most one author, by identifier ${ODS_ORGANISATION_SYSTEM}`,
        'DocumentReference.author',
      ),
    );
  if ((d.content ?? []).length !== 1)
    issues.push(
      issue(
        'document-reference.content',
        'exactly one content.attachment (the document at the custodian)',
        'DocumentReference.content',
      ),
    );
  const relates = d.relatesTo ?? [];
  let replacesId: string | undefined;
  if (relates.length > 1 || (relates[0] && relates[0].code !== 'replaces'))
    issues.push(
      issue(
        'document-reference.relates-to',
        'relatesTo may only name the one pointer this replaces (code replaces)',
        'DocumentReference.relatesTo',
      ),
    );
  else if (relates[0]) {
    const m = /^(?:.*\/)?DocumentReference\/([^/]+)$/.exec(relates[0].target?.reference ?? '');
    if (m) replacesId = m[1];
    else
      issues.push(
        issue(
          'document-reference.relates-to',
          'relatesTo.target must reference DocumentReference/<id>',
          'DocumentReference.relatesTo[0].target',
        ),
      );
  }
  if (issues.length > 0) throw new FhirError(422, issues);
  const a = d.content![0]!.attachment;
  return {
    pointer: {
      nhsNumber: nhs!,
      typeCode,
      content: {
        url: a.url ?? '',
        contentType: a.contentType ?? '',
        size: a.size ?? 0,
        hash: a.hash ?? '',
        title: a.title ?? '',
        creation: a.creation ?? '',
      },
      masterIdentifierSystem: d.masterIdentifier?.system ?? '',
      masterIdentifierValue: d.masterIdentifier?.value ?? '',
      authorOdsCode: author?.value ?? '',
    },
    ...(replacesId !== undefined ? { replacesId } : {}),
  };
}

function subjectNhs(d: DocumentReference): string | undefined {
  const id = d.subject?.identifier;
  const ref = /^(?:.*\/)?Patient\/([^/]+)$/.exec(d.subject?.reference ?? '')?.[1];
  const nhs = id ? (id.system === NHS_NUMBER_SYSTEM ? id.value : undefined) : ref;
  return nhs && validateNhsNumber(nhs).valid ? nhs : undefined;
}

/** FHIRPath of a record-locator field violation. */
export function pointerFieldPath(field: string): string | undefined {
  const f = field.replace(/^pointer\./, '');
  if (f === 'nhs_number') return 'DocumentReference.subject';
  if (f === 'type_code' || f.startsWith('type_codes')) return 'DocumentReference.type';
  if (f.startsWith('content.')) {
    const leaf = f.slice('content.'.length).replace(/_(\w)/g, (_m, ch: string) => ch.toUpperCase());
    return `DocumentReference.content[0].attachment.${leaf}`;
  }
  if (f.startsWith('master_identifier')) return 'DocumentReference.masterIdentifier';
  if (f === 'author_ods_code') return 'DocumentReference.author[0]';
  if (f === 'replaces_id') return 'DocumentReference.relatesTo[0].target';
  if (f === 'page.page_token') return '_page_token';
  return undefined;
}
