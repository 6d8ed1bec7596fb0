import type { Request } from 'express';

import { fhirRequestProblem } from './fhir.request';

const problem = (url: string) => {
  const e = fhirRequestProblem({ originalUrl: url, url } as Request);
  return e ? `${e.status} ${e.issues[0]!.rule}` : 'ok';
};

describe('fhirRequestProblem: the request line before routing, auth and audit', () => {
  it.each([
    ['/fhir/Patient/9434765919', 'ok'],
    ['/fhir/Patient/9434765919/_history/2', 'ok'],
    ['/fhir/Patient/9434765919/$everything', 'ok'],
    ['/fhir/Appointment/$book', 'ok'],
    ['/fhir/Observation/0b6c2a3e-1d2f-4a5b-9c8d-7e6f5a4b3c2d-obs-0', 'ok'],
    ['/fhir/metadata', 'ok'],
    ['/fhir/openapi.json', 'ok'],
    ['/fhir/Patient?family=O%27Brien&birthdate=ge1980-01-01', 'ok'],
    ['/fhir', '404 http.not-found'],
    ['/fhir/', '404 http.not-found'],
    ['/fhir/Patient/a%00b', '400 http.bad-request'],
    ['/fhir/ServiceRequest/has%20space', '400 fhir.id'],
    [`/fhir/ServiceRequest/${'x'.repeat(65)}`, '400 fhir.id'],
    ['/fhir/ServiceRequest/a%2Fb', '400 fhir.id'],
    ['/fhir/Patient/9434765919/_history/1.5%3B', '400 fhir.id'],
    ['/fhir/ServiceRequest/%E0%A4%A', '400 http.bad-request'],
    ['/fhir/Patient?identifier=%00', '400 http.bad-request'],
    ['/fhir/Patient?family=%zz', '400 http.bad-request'],
  ])('%s → %s', (url, want) => {
    expect(problem(url)).toBe(want);
  });
});
