import {
  isExclusionViolation,
  isSerializationFailure,
  isUniqueViolation,
  mapDatabaseError,
  SerializationFailureError,
  sqlState,
  uniqueViolation,
  UniqueViolationError,
  withTransactionRetry,
} from './errors';

/** The shape Prisma 7.10 + @prisma/adapter-pg produce for a duplicate key (captured from a real run). */
const prismaP2002 = Object.assign(
  new Error('Unique constraint failed on the constraint: `patients_nhs_number_key`'),
  {
    name: 'PrismaClientKnownRequestError',
    code: 'P2002',
    meta: {
      modelName: 'Patient',
      driverAdapterError: {
        name: 'DriverAdapterError',
        cause: {
          originalCode: '23505',
          originalMessage:
            'duplicate key value violates unique constraint "patients_nhs_number_key"',
          kind: 'UniqueConstraintViolation',
          constraint: { index: 'patients_nhs_number_key' },
          table: 'patients',
        },
      },
    },
  },
);

describe('uniqueViolation', () => {
  it('reads Prisma 7 adapter P2002 errors', () => {
    expect(uniqueViolation(prismaP2002)).toEqual({
      constraint: 'patients_nhs_number_key',
      fields: [],
      model: 'Patient',
      table: 'patients',
    });
    expect(isUniqueViolation(prismaP2002, 'patients_nhs_number_key')).toBe(true);
    expect(isUniqueViolation(prismaP2002, 'other_key')).toBe(false);
  });

  it('reads adapter errors with fields and raw pg errors', () => {
    const withFields = {
      code: 'P2002',
      meta: {
        driverAdapterError: {
          cause: { kind: 'UniqueConstraintViolation', constraint: { fields: ['nhs_number'] } },
        },
      },
    };
    expect(uniqueViolation(withFields)?.fields).toEqual(['nhs_number']);
    const pgError = Object.assign(new Error('duplicate key'), {
      code: '23505',
      constraint: 'x_key',
      table: 'x',
    });
    expect(uniqueViolation(pgError)).toEqual({ constraint: 'x_key', fields: [], table: 'x' });
  });

  it('ignores other errors', () => {
    expect(uniqueViolation(new Error('boom'))).toBeUndefined();
    expect(uniqueViolation({ code: 'P2025' })).toBeUndefined();
    expect(uniqueViolation('P2002')).toBeUndefined();
    expect(isUniqueViolation(null)).toBe(false);
  });

  it('maps to a typed error keeping the cause', () => {
    const mapped = mapDatabaseError(prismaP2002);
    expect(mapped).toBeInstanceOf(UniqueViolationError);
    expect((mapped as UniqueViolationError).cause).toBe(prismaP2002);
    expect((mapped as UniqueViolationError).message).toContain('patients_nhs_number_key');
    const other = new Error('x');
    expect(mapDatabaseError(other)).toBe(other);
  });
});

describe('sqlState', () => {
  it('finds the SQLSTATE however deep the adapter wrapped it, and never a Prisma code', () => {
    const exclusion = { originalCode: '23P01', kind: 'postgres' };
    expect(sqlState({ meta: { driverAdapterError: { cause: exclusion } } })).toBe('23P01');
    expect(sqlState({ cause: { cause: { cause: exclusion } } })).toBe('23P01');
    expect(sqlState({ code: 'P2010', meta: { driverAdapterError: { cause: exclusion } } })).toBe(
      '23P01',
    );
    expect(sqlState({ code: 'P2002' })).toBeUndefined();
    const loop: { cause?: unknown } = {};
    loop.cause = loop;
    expect(sqlState(loop)).toBeUndefined();
  });

  it('recognises an exclusion violation only', () => {
    expect(isExclusionViolation({ cause: { originalCode: '23P01' } })).toBe(true);
    expect(isExclusionViolation({ code: '23505' })).toBe(false);
    expect(isExclusionViolation(new Error('x'))).toBe(false);
  });
});

describe('serialization failures', () => {
  it.each([
    ['Prisma P2034', { code: 'P2034' }],
    [
      'adapter write conflict',
      {
        code: 'P2010',
        meta: { driverAdapterError: { cause: { kind: 'TransactionWriteConflict' } } },
      },
    ],
    [
      'adapter pg 40001',
      { meta: { driverAdapterError: { cause: { originalCode: '40001', kind: 'postgres' } } } },
    ],
    ['raw pg serialization failure', { code: '40001' }],
    ['raw pg deadlock', { code: '40P01' }],
  ])('recognises %s', (_label, error) => {
    expect(isSerializationFailure(error)).toBe(true);
    expect(mapDatabaseError(error)).toBeInstanceOf(SerializationFailureError);
  });

  it('does not treat other errors as retryable', () => {
    expect(isSerializationFailure({ code: '23505' })).toBe(false);
    expect(isSerializationFailure(new Error('x'))).toBe(false);
  });

  it('retries until success', async () => {
    let calls = 0;
    const result = await withTransactionRetry(
      async () => {
        calls++;
        if (calls < 3) throw { code: 'P2034' };
        return 'ok';
      },
      { baseDelayMs: 1 },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });

  it('gives up after the attempts with a typed error and rethrows other errors at once', async () => {
    let calls = 0;
    await expect(
      withTransactionRetry(
        async () => {
          calls++;
          throw { code: '40001' };
        },
        { attempts: 2, baseDelayMs: 1 },
      ),
    ).rejects.toBeInstanceOf(SerializationFailureError);
    expect(calls).toBe(2);
    const boom = new Error('boom');
    await expect(withTransactionRetry(async () => Promise.reject(boom))).rejects.toBe(boom);
  });
});
