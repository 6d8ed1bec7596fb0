import { allowedMethods } from './fallback.controller';

describe('allowedMethods', () => {
  const routes = [
    { method: 'GET' as const, path: 'Patient/:id' },
    { method: 'PUT' as const, path: 'Patient/:id' },
    { method: 'GET' as const, path: 'Patient/:id/_history/:vid' },
    { method: 'POST' as const, path: 'Patient/:id/$everything' },
  ];

  it('lists every method served for a concrete path', () => {
    expect(allowedMethods('Patient/9990000018', routes)).toEqual(['GET', 'PUT']);
    expect(allowedMethods('Patient/9990000018/_history/2', routes)).toEqual(['GET']);
  });

  it('treats $ in an operation path literally and parameters as one segment', () => {
    expect(allowedMethods('Patient/1/$everything', routes)).toEqual(['POST']);
    expect(allowedMethods('Patient/1/Xeverything', routes)).toEqual([]);
    expect(allowedMethods('Patient/1/2', routes)).toEqual([]);
  });

  it('knows nothing of unserved types', () => {
    expect(allowedMethods('Medication/1', routes)).toEqual([]);
  });
});
