import { FhirError } from '@trellis/fhir';

import { issuedWindow, reportFieldPath } from './report.controller';

describe('DiagnosticReport search: the date parameter as one issued window', () => {
  const w = (...v: string[]) => {
    const r = issuedWindow(v);
    return [r.from?.toISOString(), r.to?.toISOString()];
  };

  it('reads each precision as its whole period, and prefixes as bounds', () => {
    expect(w('2026-02')).toEqual(['2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z']);
    expect(w('eq2026')).toEqual(['2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);
    expect(w('ge2026-02-10')).toEqual(['2026-02-10T00:00:00.000Z', undefined]);
    expect(w('gt2026-02-10')).toEqual(['2026-02-11T00:00:00.000Z', undefined]);
    expect(w('le2026-02-10')).toEqual([undefined, '2026-02-11T00:00:00.000Z']);
    expect(w('lt2026-02-10T09:30:00Z')).toEqual([undefined, '2026-02-10T09:30:00.000Z']);
    expect(w('ge2026-01-01', 'lt2026-02-11', 'ge2026-01-15')).toEqual([
      '2026-01-15T00:00:00.000Z',
      '2026-02-11T00:00:00.000Z',
    ]);
    expect(w()).toEqual([undefined, undefined]);
  });

  it('refuses what it cannot read with search.date', () => {
    for (const bad of ['yesterday', 'ne2026-01-01', '2026-13', '2026-02-30x', 'ge']) {
      let err: unknown;
      try {
        issuedWindow([bad]);
      } catch (e) {
        err = e;
      }
      expect([bad, err instanceof FhirError && err.status]).toEqual([bad, 400]);
    }
  });
});

describe('results field violations → FHIRPath', () => {
  it('maps report fields, observation indexes and batch paths', () => {
    expect(reportFieldPath('report.nhs_number')).toBe('DiagnosticReport.subject');
    expect(reportFieldPath('report.requester.organisation.ods_code')).toBe(
      'DiagnosticReport.extension',
    );
    expect(reportFieldPath('report.observations[2].value.unit')).toBe(
      'DiagnosticReport.contained[2]',
    );
    expect(reportFieldPath('reports[4].category')).toBe('DiagnosticReport.category');
    expect(reportFieldPath('reason')).toBe('DiagnosticReport.extension');
    expect(reportFieldPath('page.page_token')).toBeUndefined();
  });
});
