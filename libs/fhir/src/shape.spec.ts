import { loadFhirDefinitions } from './definitions';
import { narrativeProblem } from './narrative';
import { capIssues, MAX_OUTCOME_ISSUES, operationOutcome, rulesOf } from './outcome';
import { shapeIssues } from './shape';
import { structuralIssues, validateFhirResource } from './validator';
import { valueSetCodes } from './valuesets';

beforeAll(() => loadFhirDefinitions());

const patient = {
  resourceType: 'Patient',
  name: [{ family: 'Shape', given: ['Ada'] }],
  gender: 'female',
  birthDate: '1980-02-29',
};
const at = (r: Record<string, unknown>, type = String(r['resourceType'])) =>
  shapeIssues(r, type).map((i) => `${i.rule}@${i.expression ?? ''}`);

describe('shape: every element has its FHIR JSON type before anything reads it', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['Patient telecom ""', { ...patient, telecom: '' }, 'fhir.cardinality@Patient.telecom'],
    ['Patient address {}', { ...patient, address: {} }, 'fhir.cardinality@Patient.address'],
    ['Patient name[0] a string', { ...patient, name: ['Ada'] }, 'fhir.datatype@Patient.name[0]'],
    ['Patient gender []', { ...patient, gender: ['female'] }, 'fhir.cardinality@Patient.gender'],
    ['Patient active null', { ...patient, active: null }, 'fhir.datatype@Patient.active'],
    [
      'Schedule active {}',
      { resourceType: 'Schedule', active: {}, actor: [{ display: 'x' }] },
      'fhir.datatype@Schedule.active',
    ],
    [
      'ServiceRequest note {}',
      { resourceType: 'ServiceRequest', status: 'active', intent: 'order', note: {} },
      'fhir.cardinality@ServiceRequest.note',
    ],
    [
      'DiagnosticReport issued {}',
      { resourceType: 'DiagnosticReport', status: 'final', code: { text: 'x' }, issued: {} },
      'fhir.datatype@DiagnosticReport.issued',
    ],
    [
      'a reference extension {}',
      {
        resourceType: 'DiagnosticReport',
        extension: [{ url: 'u', valueReference: { extension: {} } }],
      },
      'fhir.cardinality@DiagnosticReport.extension[0].value[x].extension',
    ],
    [
      'a primitive extension that is not an object',
      { ...patient, _birthDate: 'x' },
      'fhir.datatype@Patient._birthDate',
    ],
    [
      'a contained resource of no known type',
      { ...patient, contained: [{ resourceType: 'Nope' }] },
      'fhir.resource-type@Patient.contained[0].resourceType',
    ],
    [
      'a number that is not finite-typed',
      { ...patient, multipleBirthInteger: '2' },
      'fhir.datatype@Patient.multipleBirth[x]',
    ],
    ['an unknown element', { ...patient, colour: 'blue' }, 'fhir.unknown-element@Patient.colour'],
    ...['constructor', 'toString', 'hasOwnProperty', '__proto__'].map(
      (k) =>
        [
          `an Object.prototype name (${k}) is not an element`,
          JSON.parse(`{"resourceType":"Patient","${k}":1}`) as Record<string, unknown>,
          `fhir.unknown-element@Patient.${k}`,
        ] satisfies [string, Record<string, unknown>, string],
    ),
  ])('%s', (_what, resource, want) => {
    expect(at(resource)).toEqual([want]);
  });

  it('accepts a well-typed resource with primitive extensions, choices and contained resources', () => {
    expect(
      at({
        ...patient,
        id: 'abc-1.2',
        _gender: { extension: [{ url: 'u', valueString: 'x' }] },
        deceasedBoolean: false,
        telecom: [{ system: 'phone', value: '0113 496 0000' }],
        contained: [{ resourceType: 'Organization', id: 'o1', name: 'Practice' }],
        text: {
          status: 'generated',
          div: '<div xmlns="http://www.w3.org/1999/xhtml"><p>Ada <b>Shape</b></p><br/></div>',
        },
      }),
    ).toEqual([]);
  });

  it('checks resource ids against the FHIR id syntax (NUL, spaces, length)', () => {
    for (const id of ['a\u0000b', 'a b', 'x'.repeat(65), '', 42]) {
      expect(at({ ...patient, id })).toEqual(['fhir.id@Patient.id']);
    }
    expect(at({ ...patient, contained: [{ resourceType: 'Organization', id: 'a/b' }] })).toEqual([
      'fhir.id@Patient.contained[0].id',
    ]);
  });

  it('refuses control characters and lone surrogates in strings', () => {
    expect(at({ ...patient, name: [{ family: 'A\u0000', given: ['B'] }] })).toEqual([
      'fhir.datatype@Patient.name[0].family',
    ]);
    expect(at({ ...patient, name: [{ family: 'A\ud800', given: ['B'] }] })).toEqual([
      'fhir.datatype@Patient.name[0].family',
    ]);
    expect(at({ ...patient, name: [{ family: 'Zoë 😀\tx', given: ['B'] }] })).toEqual([]);
  });

  it('enforces required value-set bindings and names the allowed codes', () => {
    const [issue] = shapeIssues({ ...patient, gender: 'woman' }, 'Patient');
    expect(issue).toMatchObject({ rule: 'fhir.value-set', expression: 'Patient.gender' });
    expect(issue!.message).toContain('male, female, other, unknown');
    const sr = { resourceType: 'ServiceRequest', status: 'sent2', intent: 'order', priority: 'x' };
    expect(at(sr)).toEqual([
      'fhir.value-set@ServiceRequest.status',
      'fhir.value-set@ServiceRequest.priority',
    ]);
    expect(at({ resourceType: 'Slot', status: 'maybe' })).toEqual(['fhir.value-set@Slot.status']);
    expect(at({ resourceType: 'Appointment', status: 'done' })).toEqual([
      'fhir.value-set@Appointment.status',
    ]);
    expect(at({ resourceType: 'DiagnosticReport', status: 'sent2' })).toEqual([
      'fhir.value-set@DiagnosticReport.status',
    ]);
    // value sets of external code systems (mime types, languages) are not enumerable: left alone
    expect(valueSetCodes('http://hl7.org/fhir/ValueSet/mimetypes')).toBeUndefined();
    expect(valueSetCodes('http://hl7.org/fhir/ValueSet/administrative-gender|4.0.1')).toEqual(
      new Set(['male', 'female', 'other', 'unknown']),
    );
  });
});

describe('shape: bounded work and bounded answers', () => {
  it('a 100 KB string where an array belongs is one issue, not one per character', () => {
    const r = validateFhirResource(
      { ...patient, telecom: 'a'.repeat(100_000) },
      {
        resourceType: 'Patient',
      },
    );
    expect(r.status).toBe(400);
    expect(r.issues.map((i) => i.rule)).toEqual(['fhir.cardinality']);
    expect(JSON.stringify(operationOutcome(r.issues)).length).toBeLessThan(2_000);
  });

  it('a 900 KB string is one issue too (no stack overflow)', () => {
    const r = validateFhirResource(
      { ...patient, name: 'n'.repeat(900_000) },
      {
        resourceType: 'Patient',
      },
    );
    expect(r.issues.map((i) => `${i.rule}@${i.expression ?? ''}`)).toEqual([
      'fhir.cardinality@Patient.name',
    ]);
  });

  it('bounds nesting depth', () => {
    let ext: Record<string, unknown> = { url: 'u', valueString: 'x' };
    for (let i = 0; i < 200; i++) ext = { url: 'u', extension: [ext] };
    const r = validateFhirResource({ ...patient, extension: [ext] }, { resourceType: 'Patient' });
    expect(r.status).toBe(400);
    expect(r.issues.map((i) => i.rule)).toEqual(['fhir.depth']);
  });

  it('bounds the number of values walked', () => {
    const given = Array.from({ length: 30_000 }, () => 'x');
    const r = validateFhirResource(
      { ...patient, name: [{ family: 'F', given }] },
      {
        resourceType: 'Patient',
      },
    );
    expect(r.issues.map((i) => i.rule)).toEqual(['fhir.too-complex']);
  });

  it('stops collecting issues at the limit', () => {
    const extra = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`x${i}`, i]));
    const r = validateFhirResource({ ...patient, ...extra }, { resourceType: 'Patient' });
    expect(r.issues).toHaveLength(50);
  });

  it('an OperationOutcome carries at most 100 issues and says how many more', () => {
    const many = Array.from({ length: 250 }, (_, i) => ({
      severity: 'error' as const,
      code: 'value' as const,
      rule: `r.${i}`,
      message: 'm'.repeat(5_000),
      expression: 'e'.repeat(5_000),
    }));
    const outcome = operationOutcome(many);
    expect(outcome.issue).toHaveLength(MAX_OUTCOME_ISSUES);
    expect(outcome.issue!.at(-1)!.diagnostics).toBe(
      '151 more issues not shown (at most 100 per OperationOutcome)',
    );
    expect(rulesOf(outcome).at(-1)).toBe('fhir.issues-truncated');
    expect(outcome.issue![0]!.diagnostics!.length).toBeLessThanOrEqual(1_000);
    expect(outcome.issue![0]!.expression![0]!.length).toBeLessThanOrEqual(300);
    expect(capIssues(many.slice(0, 3))).toHaveLength(3);
  });

  it('an echoed NUL or lone surrogate never makes the OperationOutcome invalid FHIR', () => {
    const outcome = operationOutcome([
      {
        severity: 'error',
        code: 'invalid',
        rule: 'fhir.resource-type',
        message: 'resourceType must be Patient, got a\u0000b\ud800',
        expression: 'Patient.a\u0001',
      },
    ]);
    expect(structuralIssues(outcome)).toEqual([]);
    expect(outcome.issue![0]!.diagnostics).toBe('resourceType must be Patient, got a\uFFFDb\uFFFD');
  });
});

describe('narrative rules (txt-1, txt-2): XHTML, no active content', () => {
  const div = (inner: string) => `<div xmlns="http://www.w3.org/1999/xhtml">${inner}</div>`;
  it.each([
    ['<p>Ada <b>Shape</b>, <a href="#x">link</a></p><table><tr><td>1</td></tr></table>'],
    ['<img src="#pic" alt="x"/> caption'],
    ['<!-- note --><span style="color: red">Ada &amp; Bob</span>'],
  ])('accepts %s', (inner) => {
    expect(narrativeProblem(div(inner))).toBeUndefined();
  });

  it.each([
    ['<script>alert(1)</script>', /script/],
    ['<p onclick="alert(1)">x</p>', /onclick/],
    ['<a href="javascript:alert(1)">x</a>', /script URL/],
    ['<a href="jav&#x61;script:alert(1)">x</a>', /script URL/],
    ['<iframe src="https://example.org"></iframe>', /iframe/],
    ['<p>unclosed', /does not close|not closed/],
    ['<p>a</b>', /does not close/],
    ['a < b', /well-formed/],
    ['<span style="width: expression(alert(1))">x</span>', /active content/],
    ['', /some text/],
  ])('refuses %s', (inner, why) => {
    expect(narrativeProblem(div(inner))).toMatch(why);
  });

  it('needs one root div in the XHTML namespace', () => {
    expect(narrativeProblem('<p>x</p>')).toMatch(/<div>/);
    expect(narrativeProblem('<div>x</div>')).toMatch(/xmlns/);
    expect(narrativeProblem(`${div('x')}<p>y</p>`)).toMatch(/after the closing/);
  });
});
