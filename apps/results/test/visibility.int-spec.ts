import { status } from '@grpc/grpc-js';

import { testNhsNumber } from './support/harness';
import { fbc } from './support/reports';
import { startService, type ServiceUnderTest } from './support/service-under-test';

/**
 * Domain rules of issue 14 on the results platform's gRPC door: the patient's registered GP
 * practice sees the patient's results (not only the requester and the lab), and organisations are
 * checked against the ODS reference data with the requester's region taken from it.
 */
const ALL = ['system/DiagnosticReport.cruds'];

describe('results visibility and reference data (gRPC, real PostgreSQL)', () => {
  let svc: ServiceUnderTest;
  let lab: string; // RTH, south-east
  let hospital: string; // RJ1 requests the tests
  let registeredGp: string; // E81001, the patient's practice
  let otherGp: string; // B82001
  const run = Date.now().toString(36);
  const id = (n: string) => `${run}-vis-${n}`;
  const as = (odsCode: string, region: string) =>
    svc.authority.issue({ scopes: ALL, systemId: `sys-${odsCode}`, odsCode, region });

  beforeAll(async () => {
    svc = await startService();
    lab = await as('RTH', 'south-east');
    hospital = await as('RJ1', 'london');
    registeredGp = await as('E81001', 'london');
    otherGp = await as('B82001', 'yorkshire');
  });

  afterAll(async () => {
    await svc?.stop();
  });

  async function hospitalResult(gpOdsCode: string, gpWithheld = false) {
    const nhs = testNhsNumber();
    svc.identity.add({ nhsNumber: nhs, gpOdsCode, gpWithheld });
    const r = await svc.client.reports.submitReport(
      { report: fbc(id(nhs), nhs, { requester: 'RJ1', region: 'london' }) },
      svc.client.as(lab),
    );
    return { nhs, reportId: r.report!.id };
  }

  it("shows a result the hospital requested to the patient's registered GP (read, versions, search), not to other practices", async () => {
    const { nhs, reportId } = await hospitalResult('E81001');
    const got = await svc.client.reports.getReport({ reportId }, svc.client.as(registeredGp));
    expect(got.report!.id).toBe(reportId);
    const versions = await svc.client.reports.listReportVersions(
      { reportId },
      svc.client.as(registeredGp),
    );
    expect(versions.versions).toHaveLength(1);
    const found = await svc.client.reports.searchReports(
      { nhsNumber: nhs },
      svc.client.as(registeredGp),
    );
    expect(found.reports.map((r) => r.id)).toEqual([reportId]);
    expect(found.page!.total).toBe(1);

    expect(
      (await svc.client.fail(svc.client.reports.getReport({ reportId }, svc.client.as(otherGp))))
        .code,
    ).toBe(status.NOT_FOUND);
    const none = await svc.client.reports.searchReports({ nhsNumber: nhs }, svc.client.as(otherGp));
    expect(none.reports).toEqual([]);
    // seeing is not acknowledging: that stays with the requester
    const ack = await svc.client.fail(
      svc.client.reports.acknowledgeReport({ reportId }, svc.client.as(registeredGp)),
    );
    expect(ack.code).toBe(status.NOT_FOUND);
    const byRequester = await svc.client.reports.acknowledgeReport(
      { reportId },
      svc.client.as(hospital),
    );
    expect(byRequester.report!.acknowledgement?.odsCode).toBe('RJ1');
  });

  it('does not widen visibility when identity withholds the registration (restricted record)', async () => {
    const { reportId } = await hospitalResult('E81001', true);
    expect(
      (
        await svc.client.fail(
          svc.client.reports.getReport({ reportId }, svc.client.as(registeredGp)),
        )
      ).code,
    ).toBe(status.NOT_FOUND);
  });

  it('refuses a requester or lab missing from the ODS reference data, and a contradicting region', async () => {
    const nhs = testNhsNumber();
    svc.identity.add({ nhsNumber: nhs });
    const unknown = await svc.client.fail(
      svc.client.reports.submitReport(
        { report: fbc(id(`${nhs}-u`), nhs, { requester: 'ZZZ99', region: 'london' }) },
        svc.client.as(lab),
      ),
    );
    expect(unknown.code).toBe(status.INVALID_ARGUMENT);
    expect(unknown.fieldViolations).toEqual([
      expect.objectContaining({
        field: 'report.requester.organisation.ods_code',
        rule: 'organisation.unknown',
      }),
    ]);
    const wrongRegion = await svc.client.fail(
      svc.client.reports.submitReport(
        { report: fbc(id(`${nhs}-r`), nhs, { requester: 'RJ1', region: 'north-east' }) },
        svc.client.as(lab),
      ),
    );
    expect(wrongRegion.fieldViolations).toEqual([
      expect.objectContaining({
        field: 'report.requester.organisation.region',
        rule: 'region.mismatch',
      }),
    ]);
    const unknownLab = await as('ZZZ98', 'london');
    const labRefused = await svc.client.fail(
      svc.client.reports.submitReport(
        { report: fbc(id(`${nhs}-l`), nhs) },
        svc.client.as(unknownLab),
      ),
    );
    expect(labRefused.fieldViolations).toEqual([
      expect.objectContaining({
        field: 'report.performing_lab_ods_code',
        rule: 'organisation.unknown',
      }),
    ]);
  });

  it("takes the requester's region from the reference data when the lab states none", async () => {
    const nhs = testNhsNumber();
    svc.identity.add({ nhsNumber: nhs });
    const r = await svc.client.reports.submitReport(
      { report: fbc(id(`${nhs}-d`), nhs, { requester: 'RJ1', region: '' }) },
      svc.client.as(lab),
    );
    const [event] = (
      await svc.db.sql.query<{ regions: string[] }>(
        'SELECT regions FROM outbox_events WHERE ce_subject = $1',
        [r.report!.id],
      )
    ).rows;
    expect(event!.regions).toEqual(expect.arrayContaining(['london', 'south-east']));
  });
});
