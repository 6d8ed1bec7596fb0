// The scaffolding every context's error class shares: the context declares its codes, each with
// its kind (a vocabulary); the class built here sets the kind from the vocabulary, keeps the field
// violations, names the codes (`XError.codes`) and builds the context's INVALID_ARGUMENT refusal.
import { DomainError, type ErrorKind, type FieldViolation } from './errors';

export interface CodedErrorSpec<C extends string> {
  /** Logical domain, e.g. "appointments" (ErrorInfo.domain "trellis.appointments"). */
  domain: string;
  /** How each code is surfaced (kind → gRPC status, HTTP status, FHIR outcome). */
  kinds: Readonly<Record<C, ErrorKind>>;
  /** The code of a refused request (`invalid`). */
  invalidCode: NoInfer<C>;
  /** Start of the refusal's message, before the violations (default `Invalid request`). */
  invalidPrefix?: string;
}

type Metadata = Readonly<Record<string, string>>;

/** A context's codes by name (`XError.codes.SlotNotFound` → `'SLOT_NOT_FOUND'`). */
type CodeNames<C extends string> = Readonly<Record<string, C>>;

function refusalMessage(prefix: string | undefined, violations: readonly FieldViolation[]): string {
  const summary = violations.map((v) => `${v.field}: ${v.message}`).join('; ');
  return `${prefix ?? 'Invalid request'}: ${summary}`;
}

function plainErrorClass<C extends string, N extends CodeNames<C>>(
  spec: CodedErrorSpec<C>,
  codes: N,
) {
  return class CodedError extends DomainError<C> {
    static readonly codes = codes;

    constructor(code: C, message: string, violations: readonly FieldViolation[] = []) {
      super(spec.domain, code, spec.kinds[code], message, violations);
    }

    get violations(): readonly FieldViolation[] {
      return this.details;
    }

    static invalid<E>(
      this: new (code: C, message: string, violations: readonly FieldViolation[]) => E,
      violations: readonly FieldViolation[],
    ): E {
      return new this(spec.invalidCode, refusalMessage(spec.invalidPrefix, violations), violations);
    }
  };
}

function metadataErrorClass<C extends string, N extends CodeNames<C>>(
  spec: CodedErrorSpec<C>,
  codes: N,
) {
  return class CodedErrorWithMetadata extends DomainError<C> {
    static readonly codes = codes;

    constructor(
      code: C,
      message: string,
      readonly metadata: Metadata = {},
      violations: readonly FieldViolation[] = [],
    ) {
      super(spec.domain, code, spec.kinds[code], message, violations);
    }

    get violations(): readonly FieldViolation[] {
      return this.details;
    }

    static invalid<E>(
      this: new (
        code: C,
        message: string,
        metadata: Metadata,
        violations: readonly FieldViolation[],
      ) => E,
      violations: readonly FieldViolation[],
    ): E {
      return new this(
        spec.invalidCode,
        refusalMessage(spec.invalidPrefix, violations),
        {},
        violations,
      );
    }

    /**
     * The record a request names does not exist (or is not the caller's to see):
     * `<what> <id> not found`, the id in metadata under `idKey`, e.g.
     * `XError.notFound(XErrorCode.SlotNotFound, 'Slot', 'slotId', id)`.
     */
    static notFound<E>(
      this: new (code: C, message: string, metadata: Metadata) => E,
      code: C,
      what: string,
      idKey: string,
      id: string,
    ): E {
      return new this(code, `${what} ${id} not found`, { [idKey]: id });
    }

    /**
     * How the patient directory's failures (@trellis/identity-client PatientDirectoryErrors)
     * become this context's errors, the NHS number in metadata.
     */
    static patientDirectoryErrors<E extends Error>(
      this: new (code: C, message: string, metadata: Metadata) => E,
      codes: { lookupDenied: C; unavailable: C },
    ): {
      lookupDenied: (message: string, nhsNumber: string) => E;
      unavailable: (message: string, nhsNumber: string) => E;
    } {
      return {
        lookupDenied: (message, nhsNumber) => new this(codes.lookupDenied, message, { nhsNumber }),
        unavailable: (message, nhsNumber) => new this(codes.unavailable, message, { nhsNumber }),
      };
    }
  };
}

/** A context's error base: `new XError(code, message, violations?)`, `XError.invalid(violations)`. */
export type CodedErrorClass<
  C extends string,
  N extends CodeNames<C> = CodeNames<never>,
> = ReturnType<typeof plainErrorClass<C, N>>;

/**
 * A platform's error base that also keeps machine-readable facts (slot id, current state, NHS
 * number) for in-process callers: `new XError(code, message, metadata?, violations?)`.
 */
export type CodedErrorWithMetadataClass<
  C extends string,
  N extends CodeNames<C> = CodeNames<never>,
> = ReturnType<typeof metadataErrorClass<C, N>>;

// The reasons that mean the same wherever a platform uses them are declared with the platforms'
// error catalogues in @trellis/contracts (a vocabulary spreads the ones it answers with).
export {
  IDEMPOTENCY_KEY_REUSED_ERROR_CODE,
  ILLEGAL_TRANSITION_ERROR_CODE,
  INVALID_ARGUMENT_ERROR_CODE,
  NOT_INVOLVED_ERROR_CODE,
  VERSION_CONFLICT_ERROR_CODE,
} from '@trellis/contracts';

/** A vocabulary that names its refusal code `InvalidArgument` (of kind INVALID_ARGUMENT). */
export type RefusingVocabularySpec = ErrorVocabularySpec & {
  readonly InvalidArgument: readonly [code: string, kind: 'INVALID_ARGUMENT'];
};

/** A platform's published error catalogue (@trellis/contracts): its domain and vocabulary. */
export interface ErrorCatalogueSpec<V extends RefusingVocabularySpec> {
  readonly domain: string;
  readonly codes: V;
}

type ContextArgs =
  | [spec: CodedErrorSpec<string>]
  | [catalogue: ErrorCatalogueSpec<RefusingVocabularySpec>, invalidPrefix?: string];

/** The spec and code names of either form: a catalogue (refusal: its `InvalidArgument`) or a spec. */
function contextOf([first, invalidPrefix]: ContextArgs): [
  CodedErrorSpec<string>,
  CodeNames<string>,
] {
  if (!('codes' in first)) return [first, {}];
  const { domain, codes: vocabulary } = first;
  const { codes, kinds } = errorVocabulary(vocabulary);
  return [{ domain, kinds, invalidCode: vocabulary.InvalidArgument[0], invalidPrefix }, codes];
}

/**
 * A context's error base from its catalogue (its domain, and its vocabulary: names → wire code and
 * kind; the class's static `codes` names them), the platforms' declared in @trellis/contracts:
 *
 *   export const AUDIT_ERRORS = {
 *     domain: 'audit',
 *     codes: {
 *       ...INVALID_ARGUMENT_ERROR_CODE,
 *       AccessEventNotFound: ['ACCESS_EVENT_NOT_FOUND', 'NOT_FOUND'],
 *     },
 *   } as const satisfies ErrorCatalogue;
 *   export class AuditError extends codedError(AUDIT_ERRORS) {}
 *   export const AuditErrorCode = AuditError.codes;
 *   export type AuditErrorCode = CodeOf<typeof AuditError>;
 *
 * or from a spec (code → kind table and refusal code).
 */
export function codedError<const V extends RefusingVocabularySpec>(
  catalogue: ErrorCatalogueSpec<V>,
  invalidPrefix?: string,
): CodedErrorClass<ErrorCodeOf<V>, ErrorCodesOf<V>>;
export function codedError<C extends string>(spec: CodedErrorSpec<C>): CodedErrorClass<C>;
export function codedError(...args: ContextArgs): unknown {
  return plainErrorClass(...contextOf(args));
}

/** As codedError, for a platform's error base with metadata. */
export function codedErrorWithMetadata<const V extends RefusingVocabularySpec>(
  catalogue: ErrorCatalogueSpec<V>,
  invalidPrefix?: string,
): CodedErrorWithMetadataClass<ErrorCodeOf<V>, ErrorCodesOf<V>>;
export function codedErrorWithMetadata<C extends string>(
  spec: CodedErrorSpec<C>,
): CodedErrorWithMetadataClass<C>;
export function codedErrorWithMetadata(...args: ContextArgs): unknown {
  return metadataErrorClass(...contextOf(args));
}

/** The union of the wire codes of an error class built from a vocabulary (`CodeOf<typeof XError>`). */
export type CodeOf<E extends { readonly codes: CodeNames<string> }> = E['codes'][keyof E['codes']];

/** A context's codes, each declared once with its kind: `Name: ['WIRE_CODE', 'KIND']`. */
export type ErrorVocabularySpec = Readonly<
  Record<string, readonly [code: string, kind: ErrorKind]>
>;

/** The code of each name of a vocabulary (`XErrorCode.SlotNotFound` → `'SLOT_NOT_FOUND'`). */
export type ErrorCodesOf<V extends ErrorVocabularySpec> = { readonly [K in keyof V]: V[K][0] };

/** The union of a vocabulary's wire codes (the type of `XErrorCode`). */
export type ErrorCodeOf<V extends ErrorVocabularySpec> = V[keyof V][0];

/**
 * A context's error vocabulary from one declaration (names → wire code and kind, composable by
 * spread): `codes` names the codes (`XErrorCode.SlotNotFound`), `kinds` is the code → kind table
 * codedError takes.
 */
export function errorVocabulary<const V extends ErrorVocabularySpec>(
  spec: V,
): { codes: ErrorCodesOf<V>; kinds: Readonly<Record<ErrorCodeOf<V>, ErrorKind>> } {
  const codes: Record<string, string> = {};
  const kinds: Record<string, ErrorKind> = {};
  for (const [name, [code, kind]] of Object.entries(spec)) {
    if (code in kinds && kinds[code] !== kind)
      throw new Error(`error code ${code} declared with two kinds (${kinds[code]}, ${kind})`);
    codes[name] = code;
    kinds[code] = kind;
  }
  return {
    codes: codes as ErrorCodesOf<V>,
    kinds: kinds as Record<ErrorCodeOf<V>, ErrorKind>,
  };
}
