// Step 5: the lab posts a report with an abnormal result; the GP safety net (gRPC through the
// gateway's front door) shows it; the GP acknowledges it over FHIR and it leaves the net.
import { results } from '@trellis/contracts';

import { GP_ODS, type JourneyContext, type Parties } from '../context';
import { fhir } from '../fhir';
import { as } from '../grpc';

export interface Resulted {
  reportId: string;
  safetyNetBefore: boolean;
  acknowledgeStatus: number;
  safetyNetAfter: boolean;
}

export async function reportResult(
  { cfg, log, rpc }: JourneyContext,
  { gpToken, labSys, labToken }: Parties,
  { tag, nhsNumber, referralId }: { tag: string; nhsNumber: string; referralId: string },
): Promise<Resulted> {
  log.step(
    'The lab posts a report with an abnormal result; the GP safety net shows it; the GP acknowledges it',
  );
  const labReportId = `LAB-${tag}-${Date.now()}`;
  const mmol = (value: number) => ({
    value,
    unit: 'mmol/L',
    system: 'http://unitsofmeasure.org',
    code: 'mmol/L',
  });
  const reportBody = {
    resourceType: 'DiagnosticReport',
    identifier: [{ system: 'https://fhir.trellis.nhs.uk/Id/lab-report-id', value: labReportId }],
    extension: [
      {
        url: 'https://fhir.trellis.nhs.uk/StructureDefinition/report-requester',
        extension: [
          {
            url: 'organization',
            valueReference: {
              type: 'Organization',
              identifier: {
                system: 'https://fhir.nhs.uk/Id/ods-organization-code',
                value: GP_ODS,
              },
              extension: [
                {
                  url: 'https://fhir.trellis.nhs.uk/StructureDefinition/region',
                  valueCode: cfg.homeRegion,
                },
              ],
            },
          },
          {
            url: 'practitioner',
            valueIdentifier: { system: 'https://fhir.nhs.uk/Id/sds-user-id', value: 'G8123456' },
          },
        ],
      },
    ],
    basedOn: [{ reference: `ServiceRequest/${referralId}` }],
    status: 'final',
    category: [
      { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'LAB' }] },
    ],
    code: {
      coding: [
        {
          system: 'http://loinc.org',
          code: '24326-1',
          display: 'Electrolytes 1998 panel - Serum or Plasma',
        },
      ],
    },
    subject: { reference: `Patient/${nhsNumber}` },
    performer: [
      {
        type: 'Organization',
        identifier: {
          system: 'https://fhir.nhs.uk/Id/ods-organization-code',
          value: labSys.odsCode,
        },
      },
    ],
    issued: new Date().toISOString(),
    conclusion: 'Hyperkalaemia. Repeat urgently.',
    contained: [
      {
        resourceType: 'Observation',
        id: 'k',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '2823-3', display: 'Potassium' }] },
        subject: { reference: `Patient/${nhsNumber}` },
        valueQuantity: mmol(6.4),
        interpretation: [
          {
            coding: [
              {
                system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
                code: 'HH',
              },
            ],
          },
        ],
        referenceRange: [{ low: mmol(3.5), high: mmol(5.3) }],
      },
      {
        resourceType: 'Observation',
        id: 'na',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '2951-2', display: 'Sodium' }] },
        subject: { reference: `Patient/${nhsNumber}` },
        valueQuantity: mmol(139),
        referenceRange: [{ low: mmol(133), high: mmol(146) }],
      },
    ],
    result: [{ reference: '#k' }, { reference: '#na' }],
  };
  log.sent('POST /fhir/DiagnosticReport (lab; contained Observations, UCUM units)', reportBody);
  const submitted = await fhir(cfg.gatewayUrl, labToken, 'POST', 'DiagnosticReport', reportBody);
  if (submitted.status !== 201)
    throw new Error(`report refused: ${JSON.stringify(submitted.body)}`);
  const reportId = String(submitted.body['id']);
  const reportMeta = submitted.body['meta'] as { versionId?: string } | undefined;
  log.received(`${submitted.status} DiagnosticReport/${reportId} v${reportMeta?.versionId ?? '?'}`);
  const unack = () =>
    rpc.reports.listUnacknowledgedReports(
      {
        minSeverity: results.v1.Severity.SEVERITY_ABNORMAL,
        page: { pageSize: 200, pageToken: '' },
      },
      as(gpToken),
    );
  log.sent(
    'gRPC ReportService/ListUnacknowledgedReports { min_severity: abnormal } (GP safety net)',
  );
  const net1 = await unack();
  const safetyNetBefore = net1.reports.some((r) => r.report?.id === reportId);
  log.received(
    `${net1.reports.length} unacknowledged abnormal/critical result(s); ours ${safetyNetBefore ? 'is listed' : 'is NOT listed'}`,
  );
  const ackBody = {
    resourceType: 'Parameters',
    parameter: [{ name: 'note', valueString: 'Seen. Patient called in for repeat U&E today.' }],
  };
  log.sent(`POST /fhir/DiagnosticReport/${reportId}/$acknowledge (FHIR)`, ackBody);
  const ack = await fhir(
    cfg.gatewayUrl,
    gpToken,
    'POST',
    `DiagnosticReport/${reportId}/$acknowledge`,
    ackBody,
  );
  log.received(
    `${ack.status} DiagnosticReport status=${String(ack.body['status'] ?? '?')}`,
    ack.status >= 300 ? ack.body : undefined,
  );
  const net2 = await unack();
  const safetyNetAfter = net2.reports.some((r) => r.report?.id === reportId);
  log.received(`safety net now: ours ${safetyNetAfter ? 'still listed' : 'gone'}`);
  return { reportId, safetyNetBefore, acknowledgeStatus: ack.status, safetyNetAfter };
}
