import { STATUS_TABLE } from '@trellis/service-kit';

import { fhirErrorFromPlatform, operationOutcome, rulesOf } from './outcome';

describe('OperationOutcome builders', () => {
  it('carries the rule id, path and message on each issue', () => {
    const o = operationOutcome([
      {
        severity: 'error',
        code: 'value',
        rule: 'nhs-number.check-digit',
        expression: 'Patient.identifier[0].value',
        message: 'bad',
      },
    ]);
    expect(o.issue[0]).toMatchObject({
      expression: ['Patient.identifier[0].value'],
      diagnostics: 'bad',
    });
    expect(rulesOf(o)).toEqual(['nhs-number.check-digit']);
  });

  it('maps a stale expected version to 412 precondition-failed with the platform message', () => {
    for (const reason of ['VERSION_CONFLICT', 'VERSION_MISMATCH']) {
      const e = fhirErrorFromPlatform(
        { code: 10, message: 'at version 3, not 2', reason, fieldViolations: [] },
        'Appointment',
      );
      expect(e.status).toBe(412);
      expect(e.issues).toEqual([
        {
          severity: 'error',
          code: 'conflict',
          rule: 'http.precondition-failed',
          message: 'at version 3, not 2',
        },
      ]);
    }
    // another reason's ABORTED is still a lost race (409)
    expect(
      fhirErrorFromPlatform(
        { code: 10, message: 'raced', reason: 'SLOT_NOT_FREE', fieldViolations: [] },
        'Appointment',
      ).status,
    ).toBe(409);
  });

  it('maps platform gRPC errors by kind and never echoes internal messages', () => {
    expect(
      fhirErrorFromPlatform(
        { code: 5, message: 'nope', reason: 'PATIENT_NOT_FOUND', fieldViolations: [] },
        'Patient',
      ).status,
    ).toBe(404);
    expect(
      fhirErrorFromPlatform({ code: 10, message: 'stale', fieldViolations: [] }, 'Patient').status,
    ).toBe(409);
    expect(
      fhirErrorFromPlatform({ code: 8, message: 'slow down', fieldViolations: [] }, 'Patient')
        .status,
    ).toBe(429);
    const internal = fhirErrorFromPlatform(
      {
        code: 13,
        message: 'at Object.<anonymous> secret',
        correlationId: 'c1',
        fieldViolations: [],
      },
      'Patient',
    );
    expect(internal.status).toBe(500);
    expect(internal.message).toBe('Internal error (correlation id c1)');
    const invalid = fhirErrorFromPlatform(
      {
        code: 3,
        message: 'x',
        fieldViolations: [
          { field: 'patient.birth_date', rule: 'date.past', message: 'in the future' },
        ],
      },
      'Patient',
      () => 'Patient.birthDate',
    );
    expect(invalid.status).toBe(400);
    expect(invalid.issues).toEqual([
      expect.objectContaining({ rule: 'platform.date.past', expression: 'Patient.birthDate' }),
    ]);
  });

  it.each(Object.values(STATUS_TABLE).filter((row) => row.name !== 'OK'))(
    'answers gRPC $name with the status table row (HTTP $http, issue $fhirIssue)',
    ({ grpc, http, fhirIssue, name }) => {
      const e = fhirErrorFromPlatform({ code: grpc, message: 'm', fieldViolations: [] }, 'Patient');
      expect(e.status).toBe(http);
      expect(e.issues[0]).toMatchObject({
        code: fhirIssue,
        rule: `platform.${name.toLowerCase().replace(/_/g, '-')}`,
      });
    },
  );
});
