import { testCaller } from '@trellis/auth/testing';

import { mayRead } from './scorecards.service';

const caller = (scopes: string[], region = 'north-east') =>
  testCaller({ systemId: 'authority-1', scopes, region });
const regions: Record<string, string> = { 'gp-ne': 'north-east', 'gp-ldn': 'london' };
const regionOf = (id: string): string | undefined => regions[id];
const NE_READER = ['system/MeasureReport.rs', 'region/north-east/scorecards.read'];

describe('who reads which scorecard', () => {
  it("a regional authority reads the cards of its region's systems only (issue 18)", () => {
    expect(() =>
      mayRead(caller(NE_READER), { kind: 'system', id: 'gp-ne' }, regionOf),
    ).not.toThrow();
    expect(() => mayRead(caller(NE_READER), { kind: 'system', id: 'gp-ldn' }, regionOf)).toThrow(
      /regional authority/,
    );
    // a system the feed has not named is nobody's region
    expect(() => mayRead(caller(NE_READER), { kind: 'system', id: 'gp-x' }, regionOf)).toThrow();
  });

  it('a region scope of another region, or a product version card, is not the region’s', () => {
    const london = ['system/MeasureReport.rs', 'region/london/scorecards.read'];
    expect(() => mayRead(caller(london), { kind: 'system', id: 'gp-ne' }, regionOf)).toThrow();
    expect(() =>
      mayRead(caller(NE_READER), { kind: 'product-version', id: 'acme@1.0' }, regionOf),
    ).toThrow();
  });

  it('the operator reads every card; a system its own', () => {
    expect(() =>
      mayRead(caller(['trellis/admin']), { kind: 'system', id: 'gp-ldn' }),
    ).not.toThrow();
    expect(() => mayRead(caller([]), { kind: 'system', id: 'authority-1' })).not.toThrow();
  });
});
