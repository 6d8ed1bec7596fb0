import { RecordsError } from './records.errors';
import {
  draftHash,
  mayViewPointer,
  requirePointerId,
  validateClientKey,
  validatePointerInput,
  type PointerInputLike,
} from './records.validation';

const valid: PointerInputLike = {
  nhsNumber: '9990000018',
  typeCode: '736253002',
  content: { url: 'https://records.example.nhs.uk/docs/1', contentType: 'application/pdf' },
};

function problems(input: PointerInputLike | undefined): Array<[string, string]> {
  try {
    validatePointerInput(input);
  } catch (err) {
    if (!(err instanceof RecordsError)) throw err;
    return err.details.map((d) => [d.field, d.rule]);
  }
  return [];
}

describe('record locator: pointer validation', () => {
  it('accepts a minimal pointer and normalises it', () => {
    expect(
      validatePointerInput({
        ...valid,
        nhsNumber: '999 000 0018',
        content: { ...valid.content, contentType: 'Application/PDF', size: 0 },
      }),
    ).toEqual({
      nhsNumber: '9990000018',
      typeCode: '736253002',
      url: 'https://records.example.nhs.uk/docs/1',
      contentType: 'application/pdf',
    });
  });

  it('reports every problem at once, each on its field', () => {
    expect(
      problems({
        nhsNumber: '9990000019',
        typeCode: '22298006',
        content: {
          url: 'http://records.example.nhs.uk/1',
          contentType: 'pdf',
          size: -1,
          hash: 'abc',
          creation: '2026-13-01',
        },
        masterIdentifierSystem: 'https://id.example',
        authorOdsCode: 'not an ods',
      }),
    ).toEqual([
      ['pointer.nhs_number', 'nhs-number.check-digit-mismatch'],
      ['pointer.type_code', 'type.value-set'],
      ['pointer.content.url', 'url.https'],
      ['pointer.content.content_type', 'content-type.format'],
      ['pointer.content.size', 'size.range'],
      ['pointer.content.hash', 'hash.format'],
      ['pointer.content.creation', 'date-time.format'],
      ['pointer.master_identifier_value', 'master-identifier.pair'],
      ['pointer.author_ods_code', 'ods-code.format'],
    ]);
  });

  it('requires the patient, type, URL and content type', () => {
    expect(problems({})).toEqual([
      ['pointer.nhs_number', 'required'],
      ['pointer.type_code', 'required'],
      ['pointer.content.url', 'required'],
      ['pointer.content.content_type', 'required'],
    ]);
  });

  it('refuses URLs that are not absolute https without credentials', () => {
    const url = (u: string) => problems({ ...valid, content: { ...valid.content, url: u } });
    expect(url('/docs/1')).toEqual([['pointer.content.url', 'url.format']]);
    expect(url('ftp://x.example/1')).toEqual([['pointer.content.url', 'url.https']]);
    expect(url('https://u:p@x.example/1')).toEqual([['pointer.content.url', 'url.credentials']]);
    expect(url(`https://x.example/${'a'.repeat(2048)}`)).toEqual([
      ['pointer.content.url', 'url.length'],
    ]);
  });

  it('names the error by its kind: an unknown type alone is UNKNOWN_RECORD_TYPE', () => {
    try {
      validatePointerInput({ ...valid, typeCode: '22298006' });
      throw new Error('accepted');
    } catch (err) {
      expect(err).toMatchObject({ code: 'UNKNOWN_RECORD_TYPE', kind: 'INVALID_ARGUMENT' });
    }
  });

  it('accepts a base64 SHA-1 hash and a FHIR dateTime', () => {
    const d = validatePointerInput({
      ...valid,
      content: {
        ...valid.content,
        hash: 'qUqP5cyxm6YcTAhz05Hph5gvu9M=',
        creation: '2026-12-01T10:00:00Z',
        size: 1024,
      },
    });
    expect(d).toMatchObject({ hash: 'qUqP5cyxm6YcTAhz05Hph5gvu9M=', size: 1024 });
  });
});

describe('record locator: keys, ids and visibility', () => {
  it('checks client keys', () => {
    expect(validateClientKey('')).toBeUndefined();
    expect(validateClientKey('order-42')).toBe('order-42');
    expect(() => validateClientKey('has space')).toThrow(RecordsError);
    expect(() => validateClientKey('x'.repeat(129))).toThrow(RecordsError);
  });

  it('answers a malformed pointer id as not found, a missing one as invalid', () => {
    expect(() => requirePointerId('not-a-uuid')).toThrow(
      expect.objectContaining({ code: 'POINTER_NOT_FOUND' }) as Error,
    );
    expect(() => requirePointerId('')).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }) as Error,
    );
  });

  it('hashes content: a replacement differs from the same pointer registered afresh', () => {
    const d = validatePointerInput(valid);
    expect(draftHash(d)).toBe(draftHash(validatePointerInput(valid)));
    expect(draftHash(d, '5e0e2f0e-0000-4000-8000-000000000001')).not.toBe(draftHash(d));
    expect(draftHash({ ...d, url: 'https://other.example/1' })).not.toBe(draftHash(d));
  });

  it("shows a restricted patient's pointers to restricted readers, the custodian and the patient only", () => {
    const p = { custodianOds: 'R1K01', nhsNumber: '9990000018' };
    const other = { odsCode: 'Y12345', scopes: ['system/DocumentReference.rs'] };
    expect(mayViewPointer(other, p, 'normal')).toBe(true);
    expect(mayViewPointer(other, p, 'restricted')).toBe(false);
    expect(mayViewPointer({ ...other, scopes: ['trellis/restricted.read'] }, p, 'restricted')).toBe(
      true,
    );
    expect(mayViewPointer({ ...other, odsCode: 'R1K01' }, p, 'restricted')).toBe(true);
    expect(
      mayViewPointer({ odsCode: '', scopes: [], patient: '9990000018' }, p, 'restricted'),
    ).toBe(true);
    expect(mayViewPointer({ odsCode: '', scopes: [] }, p, 'restricted')).toBe(false);
  });
});
