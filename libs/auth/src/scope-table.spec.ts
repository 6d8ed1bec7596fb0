import { join } from 'node:path';

import { auditShapeOf, defineScopeTable, findRule } from './scope-table';
import {
  assertScopeTableCovers,
  assertScopeTableCoversProto,
  listGrpcMethods,
  patientDataMethods,
  scopeMatrix,
} from '../testing';
import { scopeSatisfies } from './scopes';

describe('scope table', () => {
  const table = defineScopeTable({
    '/trellis.test.v1.PatientService/GetPatient': { scope: 'system/Patient.r', patientData: true },
    '/trellis.test.v1.PatientService/SearchPatients': {
      scope: 'system/Patient.s',
      patientData: true,
    },
    '/trellis.test.v1.PatientService/RegisterPatient': {
      scope: 'system/Patient.c',
      patientData: true,
    },
    '/trellis.test.v1.AdminService/Purge': { scope: 'trellis/admin' },
    'POST /oauth2/token': { public: true },
  });

  it('rejects malformed scopes and keys at definition', () => {
    expect(() => defineScopeTable({ '/trellis.x.v1.S/M': { scope: 'system/Patient.sr' } })).toThrow(
      /malformed scope/,
    );
    expect(() => defineScopeTable({ GetPatient: { scope: 'system/Patient.r' } })).toThrow(
      /key must be/,
    );
  });

  it('finds only declared keys (no prototype leakage)', () => {
    expect(findRule(table, '/trellis.test.v1.PatientService/GetPatient')).toBeDefined();
    expect(findRule(table, 'constructor')).toBeUndefined();
    expect(findRule(table, '/trellis.test.v1.PatientService/DeletePatient')).toBeUndefined();
  });

  it('derives audit action and resource type from the scope', () => {
    expect(auditShapeOf({ scope: 'system/Patient.c' })).toEqual({
      action: 'C',
      resourceType: 'Patient',
    });
    expect(auditShapeOf({ scope: 'system/Patient.rs' })).toEqual({
      action: 'R',
      resourceType: 'Patient',
    });
    expect(auditShapeOf({ scope: 'trellis/restricted.read', resourceType: 'Patient' })).toEqual({
      action: 'E',
      resourceType: 'Patient',
    });
  });

  it('answers each rule of a scope asked before by its own overrides', () => {
    const scope = 'system/Observation.u';
    expect(auditShapeOf({ scope })).toEqual({ action: 'U', resourceType: 'Observation' });
    expect(auditShapeOf({ scope, action: 'E' })).toEqual({
      action: 'E',
      resourceType: 'Observation',
    });
    expect(auditShapeOf({ scope, resourceType: 'DiagnosticReport' })).toEqual({
      action: 'U',
      resourceType: 'DiagnosticReport',
    });
    expect(auditShapeOf({ scope, resourceType: '' })).toEqual({
      action: 'U',
      resourceType: 'Observation',
    });
    expect(auditShapeOf({ scope: 'system/*.d' })).toEqual({ action: 'D', resourceType: '' });
    expect(auditShapeOf({ scope })).toEqual({ action: 'U', resourceType: 'Observation' });
  });

  it('builds a matrix whose lacking scopes never satisfy the row and whose sufficient ones do', () => {
    const rows = scopeMatrix(table);
    expect(rows).toHaveLength(4);
    for (const row of rows) {
      expect(scopeSatisfies(row.lackingScopes, row.rule.scope)).toBe(false);
      expect(scopeSatisfies(row.sufficientScopes, row.rule.scope)).toBe(true);
    }
  });

  it('coverage check lists gRPC methods from a proto and reports the missing ones', () => {
    const root = join(__dirname, '../../../proto');
    const methods = listGrpcMethods(join(root, 'trellis/gateway/v1/gateway.proto'), {
      includeDirs: [root],
      packagePrefix: 'trellis.gateway.v1.',
    });
    expect(methods).toContain('/trellis.gateway.v1.ConnectedSystemService/SuspendSystem');
    // the test table names no gateway method: every one of them is reported missing
    expect(() => assertScopeTableCovers(table, methods)).toThrow(
      new RegExp(`misses ${methods.length} method`),
    );
  });

  it('checks a table against one proto file: its package only, the method count pinned', () => {
    const A = '/trellis.audit.v1.AuditService';
    const audit = defineScopeTable({
      [`${A}/SearchAccessEvents`]: { scope: 'system/AuditEvent.s', patientData: true },
      [`${A}/GetAccessEvent`]: { scope: 'system/AuditEvent.r', patientData: true },
      [`${A}/FlagAccessEvent`]: { scope: 'system/AuditEvent.u' },
    });
    const methods = assertScopeTableCoversProto(audit, 'trellis/audit/v1/audit.proto', 3);
    expect(methods.every((m) => m.startsWith('/trellis.audit.v1.'))).toBe(true);
    expect(() => assertScopeTableCoversProto(audit, 'trellis/audit/v1/audit.proto', 2)).toThrow(
      'trellis/audit/v1/audit.proto has 3 methods, the spec expects 2',
    );
    expect(() => assertScopeTableCoversProto(table, 'trellis/audit/v1/audit.proto', 3)).toThrow(
      /misses 3 method/,
    );
    expect(patientDataMethods(audit)).toEqual([`${A}/SearchAccessEvents`, `${A}/GetAccessEvent`]);
  });
});
