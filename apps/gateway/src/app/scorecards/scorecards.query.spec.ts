import { FhirError } from '@trellis/fhir';

import { SearchQuery } from '../fhir/fhir.search';
import { MEASURE_REPORT_SEARCH_PARAMS, scorecardQueryOf } from './scorecards.query';

const NOW = new Date('2026-12-06T10:15:30Z');
const searchOf = (q: string, lenient = false) =>
  new SearchQuery([...new URLSearchParams(q)], MEASURE_REPORT_SEARCH_PARAMS, {
    maxCount: 50,
    defaultCount: 50,
    lenient,
  });
const parse = (q: string) => scorecardQueryOf(searchOf(q), NOW);
const refusal = (q: string) => {
  try {
    parse(q);
  } catch (e) {
    return e instanceof FhirError
      ? [e.status, e.issues[0]?.expression, e.issues[0]?.rule]
      : String(e);
  }
  return 'accepted';
};

describe('MeasureReport search parameters (the shared search table)', () => {
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
    // an identical repetition is harmless; the common parameters are served
    expect(parse('subject=Device/sys-1&subject=Device/sys-1&_count=0&_format=json')).toMatchObject({
      subject: { kind: 'system', id: 'sys-1' },
    });
  });

  it('anything else is a 400 naming the parameter', () => {
    const param = 'fhir.search-param';
    expect(refusal('period=2026-12-05')).toEqual([400, 'subject', param]);
    expect(refusal('subject=Patient/9990000018')).toEqual([400, 'subject', param]);
    expect(refusal('subject=Device/a&subject=Device/b')).toEqual([
      400,
      'subject',
      'search.repeated-parameter',
    ]);
    expect(refusal('subject=Device/a,Device/b')).toEqual([
      400,
      'subject',
      'search.or-not-supported',
    ]);
    expect(refusal('subject=Device/sys-1&period=ge2026-12-05')).toEqual([400, 'period', param]);
    expect(refusal('subject=Device/sys-1&period=ge2026-12-05&period=lt2026-12-04')).toEqual([
      400,
      'period',
      param,
    ]);
    expect(refusal('subject=Device/sys-1&period=ge2026-01-01&period=lt2026-12-04')).toEqual([
      400,
      'period',
      param,
    ]);
    expect(refusal('subject=Device/sys-1&period=sa2026-12-05&period=lt2026-12-06')).toEqual([
      400,
      'period',
      param,
    ]);
    expect(refusal('subject=Device/sys-1&period=ge2026-13-45&period=lt2026-12-06')).toEqual([
      400,
      'period',
      param,
    ]);
    expect(refusal('subject=Device/sys-1&colour=blue')).toEqual([
      400,
      'colour',
      'search.unknown-parameter',
    ]);
    expect(refusal('subject:missing=Device/sys-1')).toEqual([
      400,
      'subject:missing',
      'search.unknown-parameter',
    ]);
    expect(refusal('subject=Device/sys-1&_page_token=abc')).toEqual([
      400,
      '_page_token',
      'search.page-token',
    ]);
  });

  it('lenient handling drops an unknown parameter and keeps the search', () => {
    const search = searchOf('subject=Device/sys-1&colour=blue', true);
    expect(search.dropped).toEqual(['colour']);
    expect(scorecardQueryOf(search, NOW).subject).toEqual({ kind: 'system', id: 'sys-1' });
    expect(search.link('https://x/fhir/MeasureReport')).toBe(
      'https://x/fhir/MeasureReport?subject=Device%2Fsys-1',
    );
  });
});
