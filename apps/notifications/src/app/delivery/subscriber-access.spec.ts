import { SystemStatusRegistry } from '@trellis/auth';

import { RegistrySubscriberAccess } from './subscriber-access';

const TOPIC = 'https://fhir.trellis.nhs.uk/SubscriptionTopic/referral-state-changed';

function access(...scopes: string[]) {
  const registry = new SystemStatusRegistry();
  registry.apply({ systemId: 's1', status: 'active', version: 1, allowedScopes: scopes });
  registry.apply({ systemId: 's2', status: 'suspended', version: 1, allowedScopes: scopes });
  registry.markReady();
  return new RegistrySubscriberAccess(registry);
}

describe('RegistrySubscriberAccess', () => {
  it("allows an active system holding the topic's read scope, telling whether it may read restricted records", () => {
    expect(
      access('system/ServiceRequest.rs').verdict({ ownerSystemId: 's1', topic: TOPIC }),
    ).toEqual({ kind: 'allowed', mayReadRestricted: false });
    expect(
      access('system/*.r', 'trellis/restricted.read').verdict({
        ownerSystemId: 's1',
        topic: TOPIC,
      }),
    ).toEqual({ kind: 'allowed', mayReadRestricted: true });
  });

  it('turns off a suspended system, one without the read scope and an unserved topic; holds an unknown system', () => {
    const a = access('system/ServiceRequest.s', 'system/DiagnosticReport.r');
    expect(
      [
        a.verdict({ ownerSystemId: 's2', topic: TOPIC }),
        a.verdict({ ownerSystemId: 's1', topic: TOPIC }),
        a.verdict({ ownerSystemId: 's1', topic: 'https://example.org/weather' }),
        a.verdict({ ownerSystemId: 's9', topic: TOPIC }),
      ].map((v) => v.kind),
    ).toEqual(['off', 'off', 'off', 'hold']);
  });

  it('reads a full-resource focus with only the read part of the allowed scopes', () => {
    const a = access(
      'system/DiagnosticReport.crus',
      'system/Patient.r',
      'system/Appointment.cud',
      'system/Observation.rs?category=laboratory',
      'trellis/restricted.read',
      'trellis/admin',
    );
    expect(a.readScopesOf('s1')).toEqual([
      'system/DiagnosticReport.rs',
      'system/Patient.r',
      'trellis/restricted.read',
    ]);
  });
});
