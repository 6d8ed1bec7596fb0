import { createHash } from 'node:crypto';

import { scopeSatisfies } from '@trellis/auth';
import { isOdsCode, recordType } from '@trellis/codes';
import { validateNhsNumber } from '@trellis/nhs-number';
import type { FieldViolation } from '@trellis/service-kit';

import { RecordsError, RecordsErrorCode } from './records.errors';

/** A pointer's content as the request gives it (the proto's PointerInput, every field optional). */
export interface PointerInputLike {
  nhsNumber?: string;
  typeCode?: string;
  content?: {
    url?: string;
    contentType?: string;
    size?: number;
    hash?: string;
    title?: string;
    creation?: string;
  };
  masterIdentifierSystem?: string;
  masterIdentifierValue?: string;
  authorOdsCode?: string;
}

/** A validated, normalised pointer ready to register. */
export interface PointerDraft {
  nhsNumber: string;
  typeCode: string;
  url: string;
  contentType: string;
  size?: number;
  hash?: string;
  title?: string;
  creation?: string;
  masterIdentifierSystem?: string;
  masterIdentifierValue?: string;
  authorOds?: string;
}

export const MAX_URL_LENGTH = 2048;
export const MAX_TEXT_LENGTH = 500;
const MIME =
  /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}(\s*;\s*[^\s;]+)*$/i;
// FHIR R4 Attachment.hash: base64 of a SHA-1 (20 bytes)
const SHA1_BASE64 = /^[A-Za-z0-9+/]{27}=$/;
const FHIR_DATE_TIME =
  /^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00)))?)?)?$/;
// an absolute URI: http(s) URL or URN (urn:oid:, urn:uuid:, urn:ietf:rfc:3986 as NRL uses)
const IDENTIFIER_SYSTEM = /^(https?:\/\/\S+|urn:[a-z0-9][a-z0-9-]{0,31}:\S+)$/i;
const CLIENT_KEY = /^[\x21-\x7e]{1,128}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const SCOPE_RESTRICTED_READ = 'trellis/restricted.read';

class Problems {
  readonly list: FieldViolation[] = [];
  add(field: string, rule: string, message: string): void {
    this.list.push({ field, rule, message });
  }
}

const trimmed = (v: string | undefined) => (v ?? '').trim();

/** The document URL: https only, no credentials, bounded. */
function checkUrl(raw: string, field: string, p: Problems): void {
  if (raw === '') return p.add(field, 'required', 'the document URL is required');
  if (raw.length > MAX_URL_LENGTH)
    return p.add(field, 'url.length', `at most ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return p.add(field, 'url.format', 'not an absolute URL');
  }
  if (url.protocol !== 'https:')
    p.add(field, 'url.https', 'the document URL must be https (the custodian serves it over TLS)');
  if (url.username || url.password)
    p.add(field, 'url.credentials', 'the document URL must not carry credentials');
}

/** Checks a pointer's content, reporting every problem at once; the normalised pointer. */
export function validatePointerInput(
  input: PointerInputLike | undefined,
  prefix = 'pointer',
): PointerDraft {
  const p = new Problems();
  const f = (name: string) => `${prefix}.${name}`;
  const nhsResult = validateNhsNumber(input?.nhsNumber);
  if (!nhsResult.valid)
    p.add(
      f('nhs_number'),
      nhsResult.problem === 'empty' ? 'required' : `nhs-number.${nhsResult.problem}`,
      nhsResult.message ?? 'invalid NHS number',
    );
  const typeCode = trimmed(input?.typeCode);
  if (typeCode === '') p.add(f('type_code'), 'required', 'the record type is required');
  else if (!recordType(typeCode))
    p.add(
      f('type_code'),
      'type.value-set',
      `${typeCode.slice(0, 20)} is not a record type of the record locator's SNOMED CT value set`,
    );
  const c = input?.content;
  const url = trimmed(c?.url);
  checkUrl(url, f('content.url'), p);
  const contentType = trimmed(c?.contentType).toLowerCase();
  if (contentType === '') p.add(f('content.content_type'), 'required', 'contentType is required');
  else if (!MIME.test(contentType))
    p.add(f('content.content_type'), 'content-type.format', 'not a MIME type');
  const size = c?.size ?? 0;
  if (!Number.isSafeInteger(size) || size < 0)
    p.add(f('content.size'), 'size.range', 'size must be a non-negative integer (bytes)');
  const hash = trimmed(c?.hash);
  if (hash && !SHA1_BASE64.test(hash))
    p.add(f('content.hash'), 'hash.format', 'hash must be the base64 SHA-1 of the document');
  const title = trimmed(c?.title);
  if (title.length > MAX_TEXT_LENGTH)
    p.add(f('content.title'), 'title.length', `at most ${MAX_TEXT_LENGTH} characters`);
  const creation = trimmed(c?.creation);
  if (creation && !FHIR_DATE_TIME.test(creation))
    p.add(f('content.creation'), 'date-time.format', 'creation must be a FHIR dateTime');
  const mSystem = trimmed(input?.masterIdentifierSystem);
  const mValue = trimmed(input?.masterIdentifierValue);
  if ((mSystem === '') !== (mValue === ''))
    p.add(
      f(mSystem ? 'master_identifier_value' : 'master_identifier_system'),
      'master-identifier.pair',
      'a master identifier needs both a system and a value',
    );
  if (mSystem && !IDENTIFIER_SYSTEM.test(mSystem))
    p.add(f('master_identifier_system'), 'uri.format', 'an absolute URI (http(s) URL or URN)');
  if (mValue.length > 255 || mSystem.length > 255)
    p.add(f('master_identifier_value'), 'identifier.length', 'at most 255 characters');
  const author = trimmed(input?.authorOdsCode).toUpperCase();
  if (author && !isOdsCode(author))
    p.add(f('author_ods_code'), 'ods-code.format', 'not an ODS code');
  if (p.list.length > 0) throw RecordsError.validation(p.list);
  return {
    nhsNumber: nhsResult.normalised!,
    typeCode,
    url,
    contentType,
    ...(size > 0 ? { size } : {}),
    ...(hash ? { hash } : {}),
    ...(title ? { title } : {}),
    ...(creation ? { creation } : {}),
    ...(mSystem ? { masterIdentifierSystem: mSystem, masterIdentifierValue: mValue } : {}),
    ...(author ? { authorOds: author } : {}),
  };
}

/** The client's idempotency key: absent, or 1–128 printable ASCII characters. */
export function validateClientKey(
  raw: string | undefined,
  field = 'client_key',
): string | undefined {
  const key = raw ?? '';
  if (key === '') return undefined;
  if (!CLIENT_KEY.test(key))
    throw RecordsError.validation([
      { field, rule: 'client-key.format', message: '1–128 printable ASCII characters' },
    ]);
  return key;
}

/** A pointer id: anything but a UUID names no pointer (NOT_FOUND, as an unknown id does). */
export function requirePointerId(raw: string | undefined, field = 'id'): string {
  const id = (raw ?? '').trim();
  if (id === '')
    throw RecordsError.validation([
      { field, rule: 'required', message: 'the pointer id is required' },
    ]);
  if (!UUID.test(id)) throw pointerNotFound(id);
  return id.toLowerCase();
}

export function pointerNotFound(id: string): RecordsError {
  return new RecordsError(RecordsErrorCode.PointerNotFound, `no pointer ${id.slice(0, 64)}`);
}

/** SHA-256 of what a request registers: a replay must carry the same content. */
export function draftHash(draft: PointerDraft, replacesId?: string): string {
  const canonical = JSON.stringify([
    draft.nhsNumber,
    draft.typeCode,
    draft.url,
    draft.contentType,
    draft.size ?? null,
    draft.hash ?? null,
    draft.title ?? null,
    draft.creation ?? null,
    draft.masterIdentifierSystem ?? null,
    draft.masterIdentifierValue ?? null,
    draft.authorOds ?? null,
    replacesId ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** Who is reading: the caller's organisation, scopes and (citizen) own NHS number. */
export interface Reader {
  odsCode: string;
  scopes: readonly string[];
  patient?: string;
}

/**
 * Whether a reader may see a pointer. A restricted patient's pointers name where they are cared for,
 * which is what the restriction hides: they are seen only by callers holding trellis/restricted.read,
 * by the custodian (it holds the document already) and by the patient themself. Everyone else is
 * answered as if the pointer did not exist.
 */
export function mayViewPointer(
  reader: Reader,
  pointer: { custodianOds: string; nhsNumber: string },
  confidentiality: 'normal' | 'restricted',
): boolean {
  if (confidentiality !== 'restricted') return true;
  return (
    scopeSatisfies(reader.scopes, SCOPE_RESTRICTED_READ) ||
    (reader.odsCode !== '' && reader.odsCode === pointer.custodianOds) ||
    reader.patient === pointer.nhsNumber
  );
}
