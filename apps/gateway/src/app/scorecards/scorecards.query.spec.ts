import { FhirError } from '@trellis/fhir';

import { parseScorecardQuery } from './scorecards.query';

const NOW = new Date('2026-12-06T10:15:30Z');
const parse = (q: string) => parseScorecardQuery(`/fhir/MeasureReport?${q}`, NOW);
const refusal = (q: string) => {
  try {
    parse(q);
  } catch (e) {
    return e instanceof FhirError ? [e.status, e.issues[0]?.expression] : String(e);
  }
  return 'accepted';
};

describe('MeasureReport search parameters', () => {
  it('a system (Device) or a product version (Group), with ge/lt, one day or the last 24 hours', () => {
    expect(
      parse('subject=Device/sys-1&period=ge2026-12-01T00:00:00Z&period=lt2026-12-02T00:00:00Z'),
    ).toEqual({
      subject: { kind: 'system', id: 'sys-1' },
      start: new Date('2026-12-01T00:00:00Z'),
      end: new Date('2026-12-02T00:00:00Z'),
    });
    expect(parse('subject=Group/acme-gp@1.2.0&period=2026-12-05')).toEqual({
      subject: { kind: 'product-version', id: 'acme-gp@1.2.0' },
      start: new Date('2026-12-05T00:00:00Z'),
      end: new Date('2026-12-06T00:00:00Z'),
    });
    expect(parse('subject=Device/sys-1')).toMatchObject({
      start: new Date('2026-12-05T10:16:00Z'),
      end: new Date('2026-12-06T10:16:00Z'),
    });
  });

  it('anything else is a 400 naming the parameter', () => {
    expect(refusal('period=2026-12-05')).toEqual([400, 'subject']);
    expect(refusal('subject=Patient/9990000018')).toEqual([400, 'subject']);
    expect(refusal('subject=Device/a&subject=Device/b')).toEqual([400, 'subject']);
    expect(refusal('subject=Device/sys-1&period=ge2026-12-05')).toEqual([400, 'period']);
    expect(refusal('subject=Device/sys-1&period=ge2026-12-05&period=lt2026-12-04')).toEqual([
      400,
      'period',
    ]);
    expect(refusal('subject=Device/sys-1&period=ge2026-01-01&period=lt2026-12-04')).toEqual([
      400,
      'period',
    ]);
    expect(refusal('subject=Device/sys-1&period=sa2026-12-05&period=lt2026-12-06')).toEqual([
      400,
      'period',
    ]);
    expect(refusal('subject=Device/sys-1&period=ge2026-13-45&period=lt2026-12-06')).toEqual([
      400,
      'period',
    ]);
    expect(refusal('subject=Device/sys-1&colour=blue')).toEqual([400, 'colour']);
  });
});
