import { certificateOf, outcomeOf, sessionOf } from './certification';

describe('conformance kit as the console reads it', () => {
  it("reads $start-session's answer", () => {
    expect(
      sessionOf({
        resourceType: 'Parameters',
        parameter: [
          { name: 'session', valueId: 's-1' },
          { name: 'role', valueCode: 'gp-system' },
          { name: 'product-version', valueString: 'acme-gp@4.2' },
          { name: 'rules-version', valueString: 'trellis-rules-2026.12' },
          {
            name: 'scenario',
            valueReference: { reference: 'TestScript/gp-system-register-patient' },
          },
          {
            name: 'scenario',
            valueReference: { reference: 'TestScript/gp-system-update-if-match' },
          },
        ],
      }),
    ).toEqual({
      id: 's-1',
      role: 'gp-system',
      productVersion: 'acme-gp@4.2',
      rulesVersion: 'trellis-rules-2026.12',
      scenarios: ['gp-system-register-patient', 'gp-system-update-if-match'],
    });
  });

  it('reads a TestReport: scenario, result and each assertion with its evidence', () => {
    expect(
      outcomeOf({
        resourceType: 'TestReport',
        result: 'fail',
        testScript: { reference: 'TestScript/gp-system-update-if-match', display: 'Update' },
        test: [
          {
            action: [
              {
                assert: {
                  result: 'fail',
                  message: 'update-if-match [rule x]: no',
                  detail: '#3 PUT',
                },
              },
            ],
          },
        ],
      }),
    ).toEqual({
      scenario: 'gp-system-update-if-match',
      title: 'Update',
      result: 'fail',
      asserts: [{ result: 'fail', message: 'update-if-match [rule x]: no', detail: '#3 PUT' }],
    });
  });

  it('reads a register entry with its signed certificate', () => {
    const jwt = 'eyJhbGciOiJFUzM4NCJ9.e30.c2ln';
    const c = certificateOf({
      resourceType: 'VerificationResult',
      id: 'c-1',
      target: [{ reference: 'Group/acme-gp@4.2', display: 'Acme GP 4.2 (gp-system)' }],
      extension: [
        {
          url: 'https://fhir.trellis.nhs.uk/StructureDefinition/conformance-certificate',
          extension: [
            { url: 'status', valueCode: 'suspended' },
            { url: 'statusReason', valueString: 'enforced' },
            { url: 'role', valueCode: 'gp-system' },
            { url: 'issued', valueDateTime: '2026-12-06T00:00:00Z' },
          ],
        },
      ],
      validator: [{ attestationSignature: { sigFormat: 'application/jwt', data: btoa(jwt) } }],
    });
    expect(c).toMatchObject({
      id: 'c-1',
      status: 'suspended',
      statusReason: 'enforced',
      productVersion: 'acme-gp@4.2',
      role: 'gp-system',
      jwt,
    });
  });
});
