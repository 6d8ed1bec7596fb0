import { auditReadSubject } from '../audit-subjects';
import { fhirOperation } from './fhir-operation';

/** POST /fhir/AuditEvent/:id/$flag */
export const AUDITEVENT_FLAG = fhirOperation(
  {
    resourceType: 'OperationDefinition',
    id: 'auditevent-flag',
    name: 'flag',
    status: 'active',
    kind: 'operation',
    description:
      "A citizen flags an access to their own record they do not recognise: recorded once (a repeat returns the first flag) and raised as AccessFlagged for the data protection officer of the organisation that made the access and for the regional authority of the patient's GP.",
    affectsState: true,
    code: 'flag',
    resource: ['AuditEvent'],
    system: false,
    type: false,
    instance: true,
    parameter: [
      {
        name: 'reason',
        use: 'in',
        min: 1,
        max: '1',
        documentation: 'Why the access is not recognised (1–1000 characters)',
        type: 'string',
      },
      {
        name: 'return',
        use: 'out',
        min: 1,
        max: '1',
        documentation: 'The flagged access (extension access-flagged = when)',
        type: 'AuditEvent',
      },
    ],
  },
  {
    method: 'POST',
    platform: 'audit',
    scope: 'system/AuditEvent.u',
    patientData: true,
    patientAccess: true,
    subject: auditReadSubject,
    summary: 'A citizen flags an access to their record they do not recognise',
  },
);
