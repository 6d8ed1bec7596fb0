import {
  codedError,
  codedErrorWithMetadata,
  errorVocabulary,
  INVALID_ARGUMENT_ERROR_CODE,
  type CodeOf,
} from './coded-error';
import { DomainError, type ErrorKind } from './errors';

enum Code {
  Invalid = 'INVALID_ARGUMENT',
  Missing = 'THING_NOT_FOUND',
  Denied = 'LOOKUP_DENIED',
  Down = 'DIRECTORY_UNAVAILABLE',
}
const KINDS: Record<Code, ErrorKind> = {
  [Code.Invalid]: 'INVALID_ARGUMENT',
  [Code.Missing]: 'NOT_FOUND',
  [Code.Denied]: 'PERMISSION_DENIED',
  [Code.Down]: 'UNAVAILABLE',
};
const violation = { field: 'page.page_size', rule: 'range', message: 'must be 1-100' };

class ThingError extends codedError({
  domain: 'things',
  kinds: KINDS,
  invalidCode: Code.Invalid,
  invalidPrefix: 'Invalid thing',
}) {}
class PlatformThingError extends codedErrorWithMetadata({
  domain: 'things',
  kinds: KINDS,
  invalidCode: Code.Invalid,
}) {}

describe('codedError', () => {
  it('takes its kind from the code table and keeps the context name', () => {
    const e = new ThingError(Code.Missing, 'no such thing');
    expect(e).toBeInstanceOf(DomainError);
    expect(e).toMatchObject({ domain: 'things', code: Code.Missing, kind: 'NOT_FOUND' });
    expect(e.name).toBe('ThingError');
    expect(e.violations).toEqual([]);
  });
  it('builds the refusal of an invalid request as an instance of the subclass', () => {
    const e = ThingError.invalid([violation]);
    expect(e).toBeInstanceOf(ThingError);
    expect(e.kind).toBe('INVALID_ARGUMENT');
    expect(e.message).toBe('Invalid thing: page.page_size: must be 1-100');
    expect(e.violations).toEqual([violation]);
  });
});

describe('codedErrorWithMetadata', () => {
  it('keeps metadata and violations, with the default refusal prefix', () => {
    const e = PlatformThingError.invalid([violation]);
    expect(e).toBeInstanceOf(PlatformThingError);
    expect(e.message).toBe('Invalid request: page.page_size: must be 1-100');
    expect(e.metadata).toEqual({});
    expect(e.details).toEqual([violation]);
  });
  it('states a missing record with its id, the id in metadata under its key', () => {
    const e = PlatformThingError.notFound(Code.Missing, 'Thing', 'thingId', 't-1');
    expect(e).toBeInstanceOf(PlatformThingError);
    expect(e.kind).toBe('NOT_FOUND');
    expect(e.message).toBe('Thing t-1 not found');
    expect(e.metadata).toEqual({ thingId: 't-1' });
  });
  it('maps the patient directory failures with the NHS number in metadata', () => {
    const errors = PlatformThingError.patientDirectoryErrors({
      lookupDenied: Code.Denied,
      unavailable: Code.Down,
    });
    const denied = errors.lookupDenied('not yours', '9990000018');
    expect(denied).toBeInstanceOf(PlatformThingError);
    expect(denied).toMatchObject({
      code: Code.Denied,
      kind: 'PERMISSION_DENIED',
      message: 'not yours',
      metadata: { nhsNumber: '9990000018' },
    });
    expect(errors.unavailable('down', '9990000026')).toMatchObject({
      kind: 'UNAVAILABLE',
      metadata: { nhsNumber: '9990000026' },
    });
  });
});

describe('errorVocabulary', () => {
  const { codes, kinds } = errorVocabulary({
    Invalid: ['THING_INVALID', 'INVALID_ARGUMENT'],
    Gone: ['THING_GONE', 'NOT_FOUND'],
  });

  it('names each code and gives its kind, from one declaration', () => {
    expect(codes).toEqual({ Invalid: 'THING_INVALID', Gone: 'THING_GONE' });
    expect(kinds).toEqual({ THING_INVALID: 'INVALID_ARGUMENT', THING_GONE: 'NOT_FOUND' });
    class VocabularyError extends codedError({
      domain: 'thing',
      kinds,
      invalidCode: codes.Invalid,
    }) {}
    expect(new VocabularyError(codes.Gone, 'no such thing')).toMatchObject({
      code: 'THING_GONE',
      kind: 'NOT_FOUND',
    });
  });

  it('refuses one code declared with two kinds', () => {
    expect(() => errorVocabulary({ A: ['SAME', 'NOT_FOUND'], B: ['SAME', 'ABORTED'] })).toThrow(
      'error code SAME declared with two kinds (NOT_FOUND, ABORTED)',
    );
  });
});

describe('an error class declared with its catalogue (domain and vocabulary)', () => {
  class ContextError extends codedError({
    domain: 'thing',
    codes: { ...INVALID_ARGUMENT_ERROR_CODE, Gone: ['THING_GONE', 'NOT_FOUND'] },
  }) {}

  it('names its codes and takes each kind from the vocabulary', () => {
    expect(ContextError.codes).toEqual({ InvalidArgument: 'INVALID_ARGUMENT', Gone: 'THING_GONE' });
    const code: CodeOf<typeof ContextError> = ContextError.codes.Gone;
    const e = new ContextError(code, 'gone');
    expect(e).toMatchObject({ domain: 'thing', code: 'THING_GONE', kind: 'NOT_FOUND' });
    expect(e.name).toBe('ContextError');
  });

  it('refuses an invalid request with the InvalidArgument code', () => {
    expect(ContextError.invalid([violation])).toMatchObject({
      code: 'INVALID_ARGUMENT',
      kind: 'INVALID_ARGUMENT',
      message: 'Invalid request: page.page_size: must be 1-100',
    });
  });

  it('keeps a prefixed refusal code and the refusal prefix, with metadata too', () => {
    class MetadataError extends codedErrorWithMetadata(
      { domain: 'thing', codes: { InvalidArgument: ['THING_INVALID', 'INVALID_ARGUMENT'] } },
      'Invalid thing',
    ) {}
    expect(MetadataError.invalid([violation])).toMatchObject({
      code: 'THING_INVALID',
      message: 'Invalid thing: page.page_size: must be 1-100',
      metadata: {},
      violations: [violation],
    });
  });
});
