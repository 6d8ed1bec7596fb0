import { scopeSatisfies } from '@trellis/auth';
import { organisationByOdsCode } from '@trellis/service-kit';

import { GATEWAY_SCOPES } from './app/gateway.scopes';
import { DEMO_SYSTEMS } from './seed';

describe('demo systems (gateway seed)', () => {
  it('are organisations of the ODS reference data, in their reference region', () => {
    for (const s of DEMO_SYSTEMS) {
      expect([s.alias, organisationByOdsCode(s.odsCode)?.region]).toEqual([s.alias, s.region]);
    }
  });

  it('let every organisation that reads results acknowledge the ones it requested', () => {
    const ack = GATEWAY_SCOPES['POST /fhir/DiagnosticReport/:id/$acknowledge']!.scope!;
    const readers = DEMO_SYSTEMS.filter(
      (s) =>
        scopeSatisfies(s.scopes, 'system/DiagnosticReport.r') &&
        !scopeSatisfies(s.scopes, 'system/DiagnosticReport.c'), // the lab performs, not requests
    );
    expect(readers.map((s) => s.alias).sort()).toEqual(['gp', 'hospital', 'supplier']);
    for (const s of readers)
      expect([s.alias, scopeSatisfies(s.scopes, ack)]).toEqual([s.alias, true]);
  });
});
