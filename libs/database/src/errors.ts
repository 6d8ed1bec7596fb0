/**
 * Typed views of the database errors services must react to, read from the shapes Prisma 7
 * (driver adapters) and pg produce — without importing any generated client.
 */

export interface UniqueViolation {
  /** Index/constraint name, e.g. `patients_nhs_number_key`, when known. */
  constraint?: string;
  /** Columns or fields, when known. */
  fields: string[];
  /** Prisma model, when the error came from a model query. */
  model?: string;
  /** Table, when known. */
  table?: string;
}

/** Thrown by repositories that translate a unique violation into a domain-neutral error. */
export class UniqueViolationError extends Error {
  override readonly name = 'UniqueViolationError';
  readonly code = 'UNIQUE_VIOLATION' as const;
  constructor(
    readonly violation: UniqueViolation,
    options?: { cause?: unknown },
  ) {
    super(
      `Unique constraint violated${violation.constraint ? `: ${violation.constraint}` : ''}${violation.fields.length ? ` (${violation.fields.join(', ')})` : ''}`,
      options,
    );
  }
}

/** A serializable transaction lost a conflict (40001) or a deadlock was broken (40P01): retry it. */
export class SerializationFailureError extends Error {
  override readonly name = 'SerializationFailureError';
  readonly code = 'SERIALIZATION_FAILURE' as const;
  constructor(
    message = 'Transaction aborted by a concurrent update; retry',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

type Dict = Record<string, unknown>;

const isObject = (value: unknown): value is Dict => typeof value === 'object' && value !== null;
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const strings = (value: unknown): string[] =>
  Array.isArray(value)
    ? value.filter((v): v is string => typeof v === 'string')
    : typeof value === 'string'
      ? [value]
      : [];

/** `cause` of the driver adapter error carried by a Prisma error (`meta.driverAdapterError.cause`). */
function adapterCause(error: Dict): Dict | undefined {
  const meta = error.meta;
  if (!isObject(meta)) return undefined;
  const dae = meta.driverAdapterError;
  if (!isObject(dae)) return undefined;
  return isObject(dae.cause) ? dae.cause : undefined;
}

/** The pg SQLSTATE of an error: a raw pg error, a DriverAdapterError, or a Prisma error wrapping one. */
export function sqlState(error: unknown): string | undefined {
  if (!isObject(error)) return undefined;
  const cause = adapterCause(error);
  if (cause && str(cause.originalCode)) return str(cause.originalCode);
  if (isObject(error.cause) && str(error.cause.originalCode)) return str(error.cause.originalCode);
  const code = str(error.code);
  if (code && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('P')) return code;
  return nestedSqlState(error);
}

/** The SQLSTATE further down (an error wrapped more than once), breadth first, cycles ignored. */
function nestedSqlState(error: Dict): string | undefined {
  const seen = new Set<unknown>([error]);
  const queue: unknown[] = [error.cause, error.meta, error.driverAdapterError];
  while (queue.length > 0) {
    const e = queue.shift();
    if (!isObject(e) || seen.has(e)) continue;
    seen.add(e);
    for (const key of ['originalCode', 'code']) {
      const v = str(e[key]);
      if (v && /^[0-9A-Z]{5}$/.test(v) && !v.startsWith('P')) return v;
    }
    queue.push(e.cause, e.meta, e.driverAdapterError);
  }
  return undefined;
}

/** Details of a unique violation (Prisma P2002, adapter UniqueConstraintViolation, pg 23505), else undefined. */
export function uniqueViolation(error: unknown): UniqueViolation | undefined {
  if (error instanceof UniqueViolationError) return error.violation;
  if (!isObject(error)) return undefined;
  const cause =
    adapterCause(error) ??
    (isObject(error.cause) && str(error.cause.kind) ? error.cause : undefined);
  const isP2002 = error.code === 'P2002';
  const isAdapter = cause?.kind === 'UniqueConstraintViolation';
  const isPg = sqlState(error) === '23505';
  if (!isP2002 && !isAdapter && !isPg) return undefined;
  const meta = isObject(error.meta) ? error.meta : {};
  const constraintInfo = cause && isObject(cause.constraint) ? cause.constraint : {};
  const fields = [...strings(meta.target), ...strings(constraintInfo.fields)];
  const constraint =
    str(constraintInfo.index) ??
    str(constraintInfo.name) ??
    str(error.constraint) ??
    (typeof meta.target === 'string' ? meta.target : undefined);
  const violation: UniqueViolation = { fields: [...new Set(fields)] };
  if (constraint) violation.constraint = constraint;
  const model = str(meta.modelName);
  if (model) violation.model = model;
  const table = str(cause?.table) ?? str(error.table);
  if (table) violation.table = table;
  return violation;
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const violation = uniqueViolation(error);
  return (
    violation !== undefined &&
    (constraint === undefined ||
      violation.constraint === constraint ||
      violation.fields.includes(constraint))
  );
}

/** An exclusion constraint refused the row (pg 23P01), e.g. overlapping time ranges. */
export function isExclusionViolation(error: unknown): boolean {
  return sqlState(error) === '23P01';
}

/** Serialization failure / deadlock / write conflict (Prisma P2034, adapter TransactionWriteConflict, pg 40001/40P01). */
export function isSerializationFailure(error: unknown): boolean {
  if (error instanceof SerializationFailureError) return true;
  if (!isObject(error)) return false;
  if (error.code === 'P2034') return true;
  const cause = adapterCause(error) ?? (isObject(error.cause) ? error.cause : undefined);
  if (cause?.kind === 'TransactionWriteConflict') return true;
  const state = sqlState(error);
  return state === '40001' || state === '40P01';
}

/** Translates the two retry/conflict cases into typed errors; anything else is returned as is. */
export function mapDatabaseError(error: unknown): unknown {
  const violation = uniqueViolation(error);
  if (violation && !(error instanceof UniqueViolationError))
    return new UniqueViolationError(violation, { cause: error });
  if (isSerializationFailure(error) && !(error instanceof SerializationFailureError)) {
    return new SerializationFailureError(undefined, { cause: error });
  }
  return error;
}

export interface RetryOptions {
  /** Total attempts including the first (default 5). */
  attempts?: number;
  /** Base backoff in ms, doubled per attempt with full jitter (default 10). */
  baseDelayMs?: number;
  onRetry?: (attempt: number, error: unknown) => void;
}

/**
 * Runs `fn` (typically a `$transaction(..., { isolationLevel: 'Serializable' })`) and retries it
 * on serialization failures/deadlocks with jittered exponential backoff. After the last attempt
 * throws SerializationFailureError; any other error is rethrown untouched.
 */
export async function withTransactionRetry<T>(
  fn: () => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 5);
  const base = options.baseDelayMs ?? 10;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!isSerializationFailure(error)) throw error;
      if (attempt >= attempts) {
        throw new SerializationFailureError(
          `Transaction still conflicting after ${attempts} attempts`,
          { cause: error },
        );
      }
      options.onRetry?.(attempt, error);
      const delay = Math.random() * base * 2 ** (attempt - 1);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
