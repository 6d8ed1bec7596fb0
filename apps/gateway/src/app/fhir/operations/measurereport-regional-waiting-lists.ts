import { fhirOperation } from './fhir-operation';

/** GET /fhir/MeasureReport/$regional-waiting-lists */
export const MEASUREREPORT_REGIONAL_WAITING_LISTS = fhirOperation(
  {
    resourceType: 'OperationDefinition',
    id: 'measurereport-regional-waiting-lists',
    name: 'regional-waiting-lists',
    status: 'active',
    kind: 'operation',
    description:
      "A Bundle (searchset) of MeasureReports: the region's total, then one per provider with its open RTT pathways by weeks-waited band and by specialty, and its 18-week and two-week-wait breaches. For the region's digital authority (region/<region>/waiting-lists.read) or the national operator.",
    affectsState: false,
    code: 'regional-waiting-lists',
    resource: ['MeasureReport'],
    system: false,
    type: true,
    instance: false,
    parameter: [
      {
        name: 'region',
        use: 'in',
        min: 1,
        max: '1',
        documentation: 'The region code',
        type: 'token',
      },
      {
        name: 'return',
        use: 'out',
        min: 1,
        max: '1',
        documentation: 'The reports',
        type: 'Bundle',
      },
    ],
  },
  {
    method: 'GET',
    platform: 'referrals',
    scope: 'region/*/waiting-lists.read',
    searchParams: [
      {
        name: 'region',
        type: 'token',
        documentation: 'The region code, e.g. north-east (required)',
      },
    ],
    summary: "A region's RTT waiting lists and breaches by provider and specialty",
  },
);
