import { status } from '@grpc/grpc-js';
import { scopeMatrix } from '@trellis/auth/testing';
import { events } from '@trellis/contracts';
import { readTopic } from '@trellis/testing';

import { RESULTS_SCOPES } from '../src/app/access/scopes';
import { ts } from './support/grpc-client';
import { testNhsNumber } from './support/harness';
import { fbc, I, LOINC, obs, S, SNOMED, type ReportInputLike } from './support/reports';
import { startService, type ServiceUnderTest } from './support/service-under-test';

const ALL = ['system/DiagnosticReport.cruds'];

describe('results over gRPC (platform bootstrap, auth, audit, real PostgreSQL + Kafka)', () => {
  let svc: ServiceUnderTest;
  let lab: string; // RTH pathology lab, south-east
  let gp: string; // A81001, the requester
  let stranger: string;
  const run = Date.now().toString(36);
  const id = (n: string) => `${run}-${n}`;

  beforeAll(async () => {
    svc = await startService();
    lab = await svc.authority.issue({
      scopes: ALL,
      systemId: 'rth-lims',
      odsCode: 'RTH',
      region: 'south-east',
    });
    gp = await svc.authority.issue({
      scopes: ALL,
      systemId: 'gp-system',
      odsCode: 'A81001',
      region: 'north-east',
    });
    stranger = await svc.authority.issue({
      scopes: ALL,
      systemId: 'other',
      odsCode: 'B82001',
      region: 'london',
    });
  });

  afterAll(async () => {
    await svc?.stop();
  });

  function patient(): string {
    const n = testNhsNumber();
    svc.identity.add({ nhsNumber: n });
    return n;
  }

  it('refuses every method without a token (UNAUTHENTICATED) and without its scope (PERMISSION_DENIED)', async () => {
    const rows = scopeMatrix(RESULTS_SCOPES);
    expect(rows).toHaveLength(10);
    for (const row of rows) {
      const method = row.key.split('/').pop()!;
      const call = svc.client.method(row.key);
      if (!call) throw new Error(`the scope matrix names ${row.key}, no such method`);
      expect([method, (await svc.client.fail(call(svc.client.as()))).code]).toEqual([
        method,
        status.UNAUTHENTICATED,
      ]);
      const lacking = await svc.authority.issue({
        scopes: row.lackingScopes,
        odsCode: 'RTH',
        region: 'south-east',
      });
      expect([method, (await svc.client.fail(call(svc.client.as(lacking)))).code]).toEqual([
        method,
        status.PERMISSION_DENIED,
      ]);
    }
  });

  it('stores the same report submitted 100 times concurrently once, with one ResultAvailable', async () => {
    const nhs = patient();
    const report = fbc(id('dup'), nhs, {
      haemoglobin: 62,
      interpretation: I.INTERPRETATION_CRITICAL_LOW,
    });
    const answers = await Promise.all(
      Array.from({ length: 100 }, () =>
        svc.client.reports.submitReport({ report }, svc.client.as(lab)),
      ),
    );
    expect(new Set(answers.map((a) => a.report!.id)).size).toBe(1);
    expect(answers.filter((a) => !a.replayed)).toHaveLength(1);
    expect(answers[0]!.report).toMatchObject({
      version: 1,
      severity: 3, // SEVERITY_CRITICAL
      mostSevereInterpretation: I.INTERPRETATION_CRITICAL_LOW,
    });
    const counts = await svc.db.sql.query<{
      reports: number;
      versions: number;
      obs: number;
      ev: number;
    }>(
      `SELECT (SELECT count(*)::int FROM reports WHERE nhs_number = $1) AS reports,
              (SELECT count(*)::int FROM report_versions v JOIN reports r ON r.id = v.report_id WHERE r.nhs_number = $1) AS versions,
              (SELECT count(*)::int FROM observations o JOIN reports r ON r.id = o.report_id WHERE r.nhs_number = $1) AS obs,
              (SELECT count(*)::int FROM outbox_events WHERE key = $1 AND topic = 'trellis.results.report.v1') AS ev`,
      [nhs],
    );
    expect(counts.rows[0]).toEqual({ reports: 1, versions: 1, obs: 5, ev: 1 });
    // ... and on Kafka: exactly one ResultAvailable for the patient, carrying the most severe interpretation.
    const received = await readTopic(svc.bus, 'trellis.results.report.v1', {
      groupPrefix: 'results-int-read',
      match: (k) => k === nhs,
      count: 1,
      timeoutMs: 25_000,
      settleMs: 8_000,
    });
    expect(received).toHaveLength(1);
    expect(received[0]!.headers).toMatchObject({
      ce_type: 'uk.nhs.trellis.results.ResultAvailable.v1',
      ce_source: '/trellis/results',
      ce_odscode: 'RTH',
      ce_region: 'south-east',
      ce_subject: answers[0]!.report!.id,
    });
    expect(received[0]!.headers['ce_regions']!.split(',').sort()).toEqual([
      'north-east',
      'south-east',
    ]);
    const payload = events.v1.ResultAvailable.decode(received[0]!.value);
    expect(payload.report).toMatchObject({
      nhsNumber: nhs,
      mostSevereInterpretation: 'critical-low',
      severity: 'critical',
      performingLab: { odsCode: 'RTH', region: 'south-east' },
      requester: { odsCode: 'A81001', region: 'north-east' },
      abnormalCount: 1,
    });
    expect(payload.context?.organisations.map((o) => o.odsCode)).toEqual(['RTH', 'A81001']);
  });

  it('refuses different content under the same identifier unless it is a new version, and keeps history', async () => {
    const nhs = patient();
    const lid = id('amend');
    const v1 = await svc.client.reports.submitReport({ report: fbc(lid, nhs) }, svc.client.as(lab));
    const conflict = await svc.client.fail(
      svc.client.reports.submitReport(
        { report: fbc(lid, nhs, { haemoglobin: 120 }) },
        svc.client.as(lab),
      ),
    );
    expect(conflict).toMatchObject({
      code: status.ALREADY_EXISTS,
      reason: 'REPORT_IDENTIFIER_CONFLICT',
    });
    // an amendment without a reason is refused with a field violation
    const noReason = await svc.client.fail(
      svc.client.reports.submitReport(
        { report: fbc(lid, nhs, { haemoglobin: 120, status: S.REPORT_STATUS_AMENDED }) },
        svc.client.as(lab),
      ),
    );
    expect(noReason.code).toBe(status.INVALID_ARGUMENT);
    expect(noReason.fieldViolations).toContainEqual(
      expect.objectContaining({ field: 'report.version_reason', rule: 'required' }),
    );
    // amendment through SubmitReport (status AMENDED + reason) → version 2
    const amended = fbc(lid, nhs, {
      haemoglobin: 120,
      interpretation: I.INTERPRETATION_LOW,
      status: S.REPORT_STATUS_AMENDED,
      reason: 'haemolysed sample re-run',
    });
    const v2 = await svc.client.reports.submitReport({ report: amended }, svc.client.as(lab));
    expect(v2).toMatchObject({
      replayed: false,
      report: { id: v1.report!.id, version: 2, status: S.REPORT_STATUS_AMENDED },
    });
    // the same amendment again is a replay
    expect(
      (await svc.client.reports.submitReport({ report: amended }, svc.client.as(lab))).replayed,
    ).toBe(true);
    // the original resent late is a replay too (never resurrects v1)
    const late = await svc.client.reports.submitReport(
      { report: fbc(lid, nhs) },
      svc.client.as(lab),
    );
    expect(late).toMatchObject({ replayed: true, report: { version: 2 } });
    // correction through AmendReport → version 3
    const v3 = await svc.client.reports.amendReport(
      {
        reportId: v1.report!.id,
        report: fbc(lid, nhs, { haemoglobin: 121 }),
        reason: 'transcription error',
        correction: true,
      },
      svc.client.as(lab),
    );
    expect(v3.report).toMatchObject({
      version: 3,
      status: S.REPORT_STATUS_CORRECTED,
      versionReason: 'transcription error',
    });
    // the requester cannot amend
    expect(
      (
        await svc.client.fail(
          svc.client.reports.amendReport(
            { reportId: v1.report!.id, report: fbc(lid, nhs), reason: 'x' },
            svc.client.as(gp),
          ),
        )
      ).reason,
    ).toBe('NOT_PERFORMING_LAB');
    // latest served by default, older versions on request, history oldest first
    const latest = await svc.client.reports.getReport(
      { reportId: v1.report!.id },
      svc.client.as(gp),
    );
    expect(latest.report).toMatchObject({ version: 3, latestVersion: 3 });
    expect(latest.report!.observations[0]!.valueQuantity).toEqual({ value: 121, unit: 'g/L' });
    const first = await svc.client.reports.getReport(
      { reportId: v1.report!.id, version: 1 },
      svc.client.as(gp),
    );
    expect(first.report).toMatchObject({
      version: 1,
      latestVersion: 3,
      status: S.REPORT_STATUS_FINAL,
    });
    expect(first.report!.observations[0]!.valueQuantity).toEqual({ value: 135, unit: 'g/L' });
    expect(
      (
        await svc.client.fail(
          svc.client.reports.getReport({ reportId: v1.report!.id, version: 9 }, svc.client.as(gp)),
        )
      ).reason,
    ).toBe('VERSION_NOT_FOUND');
    const history = await svc.client.reports.listReportVersions(
      { reportId: v1.report!.id },
      svc.client.as(lab),
    );
    expect(history.versions.map((v) => [v.version, v.status, v.versionReason])).toEqual([
      [1, S.REPORT_STATUS_FINAL, ''],
      [2, S.REPORT_STATUS_AMENDED, 'haemolysed sample re-run'],
      [3, S.REPORT_STATUS_CORRECTED, 'transcription error'],
    ]);
    // cancel → version 4; nothing after a cancellation
    const cancelled = await svc.client.reports.cancelReport(
      { reportId: v1.report!.id, reason: 'sample mislabelled' },
      svc.client.as(lab),
    );
    expect(cancelled.report).toMatchObject({ version: 4, status: S.REPORT_STATUS_CANCELLED });
    expect(
      await svc.client.fail(
        svc.client.reports.amendReport(
          { reportId: v1.report!.id, report: fbc(lid, nhs, { haemoglobin: 140 }), reason: 'late' },
          svc.client.as(lab),
        ),
      ),
    ).toMatchObject({ code: status.FAILED_PRECONDITION, reason: 'ILLEGAL_TRANSITION' });
    const types = await svc.db.sql.query<{ ce_type: string }>(
      'SELECT ce_type FROM outbox_events WHERE key = $1 AND topic = $2 ORDER BY seq',
      [nhs, 'trellis.results.report.v1'],
    );
    expect(types.rows.map((r) => r.ce_type.split('.')[4])).toEqual([
      'ResultAvailable',
      'ResultAmended',
      'ResultAmended',
      'ResultAmended',
    ]);
  });

  it('makes a preliminary report final as a new version with a second ResultAvailable', async () => {
    const nhs = patient();
    const lid = id('prelim');
    const p = await svc.client.reports.submitReport(
      { report: fbc(lid, nhs, { status: S.REPORT_STATUS_PRELIMINARY }) },
      svc.client.as(lab),
    );
    const f = await svc.client.reports.submitReport(
      { report: fbc(lid, nhs, { status: S.REPORT_STATUS_FINAL }) },
      svc.client.as(lab),
    );
    expect([p.report!.version, f.report!.version, f.report!.id]).toEqual([1, 2, p.report!.id]);
    // the preliminary resent late is a replay; other preliminary content after the final is a conflict
    expect(
      (
        await svc.client.reports.submitReport(
          { report: fbc(lid, nhs, { status: S.REPORT_STATUS_PRELIMINARY }) },
          svc.client.as(lab),
        )
      ).replayed,
    ).toBe(true);
    expect(
      (
        await svc.client.fail(
          svc.client.reports.submitReport(
            { report: fbc(lid, nhs, { status: S.REPORT_STATUS_PRELIMINARY, haemoglobin: 141 }) },
            svc.client.as(lab),
          ),
        )
      ).reason,
    ).toBe('REPORT_IDENTIFIER_CONFLICT');
    const types = await svc.db.sql.query<{ ce_type: string }>(
      'SELECT ce_type FROM outbox_events WHERE key = $1 AND topic = $2 ORDER BY seq',
      [nhs, 'trellis.results.report.v1'],
    );
    expect(types.rows.map((r) => r.ce_type)).toEqual([
      'uk.nhs.trellis.results.ResultAvailable.v1',
      'uk.nhs.trellis.results.ResultAvailable.v1',
    ]);
  });

  it('takes batches: new reports in one transaction, per-item replays, versions and errors', async () => {
    const nhs = patient();
    const held = await svc.client.reports.submitReport(
      { report: fbc(id('b-held'), nhs) },
      svc.client.as(lab),
    );
    const reports: ReportInputLike[] = Array.from({ length: 30 }, (_, i) =>
      fbc(id(`b${i}`), nhs, { haemoglobin: 100 + i, interpretation: I.INTERPRETATION_LOW }),
    );
    const broken = fbc(id('b5'), nhs) as { observations: { valueQuantity: { unit: string } }[] };
    broken.observations[0]!.valueQuantity.unit = 'grams';
    reports[5] = broken;
    reports.push(reports[0]!); // 30: the same report twice in one batch
    reports.push(fbc(id('b-held'), nhs)); // 31: resend of a held report
    reports.push(
      fbc(id('b-held'), nhs, {
        haemoglobin: 99,
        status: S.REPORT_STATUS_CORRECTED,
        reason: 'recalibrated',
      }),
    ); // 32
    reports.push(fbc(id('b-unknown'), testNhsNumber())); // 33: identity does not know the patient
    const { results } = await svc.client.reports.submitReports({ reports }, svc.client.as(lab));
    expect(results).toHaveLength(34);
    expect(results[5]!.error).toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: [{ field: 'reports[5].observations[0].value_quantity.unit', rule: 'ucum.invalid' }],
    });
    expect(results[33]!.error?.code).toBe('PATIENT_NOT_FOUND');
    const created = results.filter((_r, i) => i < 30 && i !== 5);
    expect(created.every((r) => r.report && !r.replayed && r.report.version === 1)).toBe(true);
    expect(new Set(created.map((r) => r.report!.id)).size).toBe(29);
    expect(results[30]).toMatchObject({ replayed: true, report: { id: results[0]!.report!.id } });
    expect(results[31]).toMatchObject({
      replayed: true,
      report: { id: held.report!.id, version: 1 },
    });
    expect(results[32]).toMatchObject({
      replayed: false,
      report: {
        id: held.report!.id,
        version: 2,
        status: S.REPORT_STATUS_CORRECTED,
        versionReason: 'recalibrated',
      },
    });
    const ev = await svc.db.sql.query<{ ce_type: string; n: number }>(
      'SELECT ce_type, count(*)::int AS n FROM outbox_events WHERE key = $1 AND topic = $2 GROUP BY 1 ORDER BY 1',
      [nhs, 'trellis.results.report.v1'],
    );
    expect(ev.rows).toEqual([
      { ce_type: 'uk.nhs.trellis.results.ResultAmended.v1', n: 1 },
      { ce_type: 'uk.nhs.trellis.results.ResultAvailable.v1', n: 30 },
    ]);
    const stored = await svc.db.sql.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM observations o JOIN reports r ON r.id = o.report_id WHERE r.nhs_number = $1',
      [nhs],
    );
    expect(stored.rows[0]!.n).toBe(30 * 5 + 5); // 30 reports (v1) + the correction's 5
    expect(
      (
        await svc.client.fail(
          svc.client.reports.submitReports(
            { reports: Array.from({ length: 501 }, () => reports[0]!) },
            svc.client.as(lab),
          ),
        )
      ).fieldViolations[0],
    ).toMatchObject({ field: 'reports', rule: 'max-items' });
  });

  it('refuses invalid reports with every field violation at once', async () => {
    const nhs = patient();
    const bad = {
      labReportId: 'bad id with spaces',
      nhsNumber: '9434765918', // wrong check digit
      category: 0,
      code: { system: SNOMED, code: '58410-2' }, // a LOINC code declared as SNOMED CT
      status: S.REPORT_STATUS_AMENDED,
      requester: { organisation: { odsCode: 'a81001', region: '' }, practitionerId: '' },
      issued: ts(new Date(Date.now() + 86_400_000)),
      observations: [
        obs({ code: '718-8', value: 135, unit: 'g/L' }), // LOINC check digit wrong
        obs({ code: '718-7', value: 135, unit: 'grams' }), // not UCUM
        obs({ code: '718-7', value: 8.4, unit: 'mmol/L' }), // valid UCUM, wrong kind for haemoglobin
        { code: { system: LOINC, code: '2823-3' }, valueQuantity: { value: 4.1, unit: '' } }, // no unit
        { code: { system: LOINC, code: '2823-3' }, valueText: '4.1' }, // numeric as text
        { code: { system: LOINC, code: '2951-2' } }, // no value
        {
          code: { system: LOINC, code: '2951-2' },
          valueQuantity: { value: 140, unit: 'mmol/L' },
          referenceRange: {
            low: { value: 145, unit: 'mmol/L' },
            high: { value: 133, unit: 'mmol/L' },
          },
        }, // low > high
        {
          code: { system: LOINC, code: '2951-2' },
          valueQuantity: { value: 140, unit: 'mmol/L' },
          referenceRange: { low: { value: 133, unit: 'g/L' } },
        }, // range unit not convertible
        {
          code: { system: LOINC, code: '11529-5' },
          valueCoded: { system: SNOMED, code: '260385008' },
        }, // SNOMED check digit wrong
        { code: { system: SNOMED, code: '22298006' }, valueText: 'seen' }, // observation codes must be LOINC
      ],
    };
    const err = await svc.client.fail(
      svc.client.reports.submitReport({ report: bad }, svc.client.as(lab)),
    );
    expect(err).toMatchObject({
      code: status.INVALID_ARGUMENT,
      reason: 'INVALID_ARGUMENT',
      domain: 'trellis.results',
    });
    const got = err.fieldViolations.map((f) => `${f.field} ${f.rule}`).sort();
    expect(got).toEqual(
      [
        'report.lab_report_id identifier',
        'report.nhs_number nhs-number.check-digit-mismatch',
        'report.category required',
        'report.code.code code.format',
        'report.status status',
        'report.requester.organisation.ods_code ods-code',
        // no region: it comes from the ODS reference data
        'report.requester.practitioner_id required',
        'report.issued not-future',
        'report.observations[0].code.code code.check-digit',
        'report.observations[1].value_quantity.unit ucum.invalid',
        'report.observations[2].value_quantity.unit ucum.kind',
        'report.observations[3].value_quantity.unit ucum.required',
        'report.observations[4].value_text quantity-required',
        'report.observations[5].value required',
        'report.observations[6].reference_range range-order',
        'report.observations[7].reference_range.low.unit ucum.commensurable',
        'report.observations[8].value_coded.code code.check-digit',
        'report.observations[9].code.system code-system',
      ].sort(),
    );
    // nothing stored
    const n = await svc.db.sql.query('SELECT 1 FROM reports WHERE lab_report_id = $1', [
      'bad id with spaces',
    ]);
    expect(n.rowCount).toBe(0);
    // patients identity does not know, merged numbers, and a caller who is not the performing lab
    const unknown = testNhsNumber();
    expect(
      await svc.client.fail(
        svc.client.reports.submitReport({ report: fbc(id('u'), unknown) }, svc.client.as(lab)),
      ),
    ).toMatchObject({
      code: status.FAILED_PRECONDITION,
      reason: 'PATIENT_NOT_FOUND',
    });
    const old = testNhsNumber();
    svc.identity.add({ nhsNumber: old, mergedInto: nhs });
    expect(
      (
        await svc.client.fail(
          svc.client.reports.submitReport({ report: fbc(id('m'), old) }, svc.client.as(lab)),
        )
      ).reason,
    ).toBe('PATIENT_MERGED');
    expect(
      (
        await svc.client.fail(
          svc.client.reports.submitReport(
            { report: { ...fbc(id('p'), nhs), performingLabOdsCode: 'RJ1' } },
            svc.client.as(lab),
          ),
        )
      ).reason,
    ).toBe('NOT_PERFORMING_LAB');
    // the identity call carried the lab's token
    expect(
      svc.identity.calls.some(
        (c) => c.nhsNumber === unknown && c.authorization === `Bearer ${lab}`,
      ),
    ).toBe(true);
  });

  it('lets only the lab and the requester see a report, and searches with keyset pages', async () => {
    const nhs = patient();
    const base = Date.UTC(2026, 0, 10);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await svc.client.reports.submitReport(
        { report: fbc(id(`s${i}`), nhs, { issued: new Date(base + i * 86_400_000) }) },
        svc.client.as(lab),
      );
      ids.push(r.report!.id);
    }
    const hba1c = {
      ...fbc(id('hba1c'), nhs, { issued: new Date(base + 10 * 86_400_000) }),
      code: { system: LOINC, code: '4548-4', display: 'HbA1c' },
      observations: [
        obs({
          code: '59261-8',
          value: 71,
          unit: 'mmol/mol',
          high: 48,
          interpretation: I.INTERPRETATION_HIGH,
        }),
      ],
    };
    const h = await svc.client.reports.submitReport({ report: hba1c }, svc.client.as(lab));
    expect(
      (
        await svc.client.fail(
          svc.client.reports.getReport({ reportId: ids[0] }, svc.client.as(stranger)),
        )
      ).reason,
    ).toBe('REPORT_NOT_FOUND');
    const strangerSearch = await svc.client.reports.searchReports(
      { nhsNumber: nhs },
      svc.client.as(stranger),
    );
    expect(strangerSearch.reports).toHaveLength(0);

    const seen: string[] = [];
    let token = '';
    for (let page = 0; page < 5; page++) {
      const res = await svc.client.reports.searchReports(
        { nhsNumber: nhs, page: { pageSize: 2, pageToken: token } },
        svc.client.as(gp),
      );
      seen.push(...res.reports.map((r) => r.id));
      token = res.page!.nextPageToken;
      if (!token) break;
    }
    expect(seen).toEqual([h.report!.id, ...[...ids].reverse()]);
    // code matches an observation code too; date range; category; status
    const byObsCode = await svc.client.reports.searchReports(
      { nhsNumber: nhs, code: '59261-8' },
      svc.client.as(gp),
    );
    expect(byObsCode.reports.map((r) => r.id)).toEqual([h.report!.id]);
    const byRange = await svc.client.reports.searchReports(
      {
        nhsNumber: nhs,
        issuedFrom: ts(new Date(base + 86_400_000)),
        issuedTo: ts(new Date(base + 3 * 86_400_000)),
        includeObservations: true,
      },
      svc.client.as(gp),
    );
    expect(byRange.reports.map((r) => r.id)).toEqual([ids[2], ids[1]]);
    expect(byRange.reports[0]!.observations).toHaveLength(5);
    const radiology = await svc.client.reports.searchReports(
      { nhsNumber: nhs, category: 2 },
      svc.client.as(gp),
    );
    expect(radiology.reports).toHaveLength(0);
    await svc.client.reports.cancelReport(
      { reportId: ids[0], reason: 'duplicate request' },
      svc.client.as(lab),
    );
    const cancelled = await svc.client.reports.searchReports(
      { nhsNumber: nhs, statuses: [S.REPORT_STATUS_CANCELLED] },
      svc.client.as(gp),
    );
    expect(cancelled.reports.map((r) => r.id)).toEqual([ids[0]]);
    // a page token replayed with another filter is refused
    const first = await svc.client.reports.searchReports(
      { nhsNumber: nhs, page: { pageSize: 1 } },
      svc.client.as(gp),
    );
    const misuse = await svc.client.fail(
      svc.client.reports.searchReports(
        {
          nhsNumber: nhs,
          code: '58410-2',
          page: { pageSize: 1, pageToken: first.page!.nextPageToken },
        },
        svc.client.as(gp),
      ),
    );
    expect(misuse.fieldViolations[0]).toMatchObject({
      field: 'page.page_token',
      rule: 'page-token',
    });
  });

  it('amends as APPENDED, checks expected_version under the lock, and finds a lab identifier with a total', async () => {
    const nhs = patient();
    const lid = id('append');
    const v1 = await svc.client.reports.submitReport({ report: fbc(lid, nhs) }, svc.client.as(lab));
    const appended = {
      reportId: v1.report!.id,
      report: fbc(lid, nhs, { conclusion: 'film reviewed: no blasts' }),
      reason: 'film comment added',
      status: S.REPORT_STATUS_APPENDED,
      expectedVersion: 1,
    };
    const v2 = await svc.client.reports.amendReport(appended, svc.client.as(lab));
    expect(v2).toMatchObject({
      replayed: false,
      report: {
        version: 2,
        status: S.REPORT_STATUS_APPENDED,
        conclusion: 'film reviewed: no blasts',
      },
    });
    // the same request retried (same stale expected_version) is a replay, not a mismatch
    expect(await svc.client.reports.amendReport(appended, svc.client.as(lab))).toMatchObject({
      replayed: true,
      report: { version: 2 },
    });
    // a different change against version 1 is refused: ABORTED / VERSION_MISMATCH
    expect(
      await svc.client.fail(
        svc.client.reports.amendReport(
          { ...appended, report: fbc(lid, nhs, { haemoglobin: 140 }) },
          svc.client.as(lab),
        ),
      ),
    ).toMatchObject({ code: status.ABORTED, reason: 'VERSION_MISMATCH' });
    expect(
      await svc.client.fail(
        svc.client.reports.cancelReport(
          { reportId: v1.report!.id, reason: 'x', expectedVersion: 1 },
          svc.client.as(lab),
        ),
      ),
    ).toMatchObject({ code: status.ABORTED, reason: 'VERSION_MISMATCH' });
    // AMENDED is not a status AmendReport takes from a FINAL request; PRELIMINARY neither
    expect(
      (
        await svc.client.fail(
          svc.client.reports.amendReport(
            { ...appended, status: S.REPORT_STATUS_FINAL, expectedVersion: 2 },
            svc.client.as(lab),
          ),
        )
      ).fieldViolations,
    ).toContainEqual(expect.objectContaining({ field: 'status', rule: 'enum' }));
    const cancelled = await svc.client.reports.cancelReport(
      { reportId: v1.report!.id, reason: 'wrong patient', expectedVersion: 2 },
      svc.client.as(lab),
    );
    expect(cancelled.report).toMatchObject({ version: 3, status: S.REPORT_STATUS_CANCELLED });
    const history = await svc.client.reports.listReportVersions(
      { reportId: v1.report!.id },
      svc.client.as(lab),
    );
    expect(history.versions.map((v) => [v.version, v.status])).toEqual([
      [1, S.REPORT_STATUS_FINAL],
      [2, S.REPORT_STATUS_APPENDED],
      [3, S.REPORT_STATUS_CANCELLED],
    ]);
    // the requester's practitioner identifier system is kept with the content
    const gmc = 'https://fhir.hl7.org.uk/Id/gmc-number';
    const withSystem = await svc.client.reports.submitReport(
      {
        report: {
          ...fbc(id('append-sys'), nhs),
          requester: {
            organisation: { odsCode: 'A81001', region: 'north-east' },
            practitionerId: '1234567',
            practitionerSystem: gmc,
          },
        },
      },
      svc.client.as(lab),
    );
    const read = await svc.client.reports.getReport(
      { reportId: withSystem.report!.id },
      svc.client.as(gp),
    );
    expect(read.report!.requester).toMatchObject({
      practitionerId: '1234567',
      practitionerSystem: gmc,
    });
    // SubmitReport's expected_version: a preliminary report updated by two writers based on v1 —
    // one wins, the other is VERSION_MISMATCH; a replay of stored content is still answered
    const pid = id('append-pre');
    await svc.client.reports.submitReport(
      { report: fbc(pid, nhs, { status: S.REPORT_STATUS_PRELIMINARY }) },
      svc.client.as(lab),
    );
    const racers = await Promise.allSettled(
      [121, 122].map((hb) =>
        svc.client.reports.submitReport(
          {
            report: fbc(pid, nhs, { status: S.REPORT_STATUS_PRELIMINARY, haemoglobin: hb }),
            expectedVersion: 1,
          },
          svc.client.as(lab),
        ),
      ),
    );
    expect(racers.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const lost = racers.find((r) => r.status === 'rejected')!;
    expect((lost as PromiseRejectedResult).reason).toMatchObject({ code: status.ABORTED });
    expect(
      await svc.client.reports.submitReport(
        { report: fbc(pid, nhs, { status: S.REPORT_STATUS_PRELIMINARY }), expectedVersion: 1 },
        svc.client.as(lab),
      ),
    ).toMatchObject({ replayed: true, report: { version: 2 } });
    expect(
      await svc.client.fail(
        svc.client.reports.submitReport(
          { report: fbc(id('append-none'), nhs), expectedVersion: 1 },
          svc.client.as(lab),
        ),
      ),
    ).toMatchObject({ code: status.ABORTED, reason: 'VERSION_MISMATCH' });
    // lab_report_id: the caller's own lab's report only (the unique key), counted
    const mine = await svc.client.reports.searchReports({ labReportId: lid }, svc.client.as(lab));
    expect(mine.reports.map((r) => r.id)).toEqual([v1.report!.id]);
    expect(Number(mine.page!.total)).toBe(1);
    const requester = await svc.client.reports.searchReports(
      { labReportId: lid },
      svc.client.as(gp),
    );
    expect(requester.reports).toHaveLength(0);
    expect(Number(requester.page!.total)).toBe(0);
    const bad = await svc.client.fail(
      svc.client.reports.searchReports({ labReportId: 'no spaces' }, svc.client.as(lab)),
    );
    expect(bad.fieldViolations[0]).toMatchObject({ field: 'lab_report_id' });
    // a patient search is counted across pages
    const page1 = await svc.client.reports.searchReports(
      { nhsNumber: nhs, page: { pageSize: 1 } },
      svc.client.as(gp),
    );
    expect(page1.reports).toHaveLength(1);
    expect(Number(page1.page!.total)).toBe(3); // the cancelled, the preliminary, the one with a system
    expect(page1.page!.nextPageToken).not.toBe('');
    const noPatient = await svc.client.reports.searchReports(
      { code: '58410-2' },
      svc.client.as(gp),
    );
    expect(noPatient.page!.total).toBeUndefined();
  });

  it('acknowledges by the requester and lists unacknowledged abnormal and critical results oldest first', async () => {
    const gp2 = await svc.authority.issue({
      scopes: ALL,
      systemId: 'gp2-system',
      odsCode: 'E81001',
      region: 'london',
    });
    const nhs = patient();
    const t0 = svc.clock.now();
    const submitAt = async (mins: number, n: string, interpretation: number, hb: number) => {
      svc.clock.set(new Date(t0.getTime() + mins * 60_000));
      return svc.client.reports.submitReport(
        {
          report: fbc(id(n), nhs, {
            requester: 'E81001',
            region: 'london',
            haemoglobin: hb,
            interpretation,
            issued: new Date(t0.getTime() - 3_600_000),
          }),
        },
        svc.client.as(lab),
      );
    };
    const normal = await submitAt(0, 'n', I.INTERPRETATION_NORMAL, 140);
    const low = await submitAt(10, 'l', I.INTERPRETATION_LOW, 120);
    const critical = await submitAt(20, 'c', I.INTERPRETATION_CRITICAL_LOW, 60);
    svc.clock.set(new Date(t0.getTime() + 60 * 60_000));
    const net = await svc.client.reports.listUnacknowledgedReports({}, svc.client.as(gp2));
    expect(net.reports.map((r) => [r.report!.id, r.waitingSeconds])).toEqual([
      [low.report!.id, 50 * 60],
      [critical.report!.id, 40 * 60],
    ]);
    expect(net.reports.map((r) => r.report!.id)).not.toContain(normal.report!.id);
    const crit = await svc.client.reports.listUnacknowledgedReports(
      { minSeverity: 3 },
      svc.client.as(gp2),
    );
    expect(crit.reports.map((r) => r.report!.id)).toEqual([critical.report!.id]);
    // the safety net is per organisation
    expect(
      (await svc.client.reports.listUnacknowledgedReports({}, svc.client.as(gp))).reports.map(
        (r) => r.report!.id,
      ),
    ).not.toContain(low.report!.id);
    // only the requester acknowledges
    expect(
      (
        await svc.client.fail(
          svc.client.reports.acknowledgeReport(
            { reportId: critical.report!.id },
            svc.client.as(lab),
          ),
        )
      ).reason,
    ).toBe('NOT_REQUESTER');
    const ack = await svc.client.reports.acknowledgeReport(
      { reportId: critical.report!.id, note: 'patient called, admitted' },
      svc.client.as(gp2),
    );
    expect(ack).toMatchObject({
      replayed: false,
      report: {
        acknowledgement: {
          version: 1,
          odsCode: 'E81001',
          systemId: 'gp2-system',
          note: 'patient called, admitted',
        },
      },
    });
    expect(
      (
        await svc.client.reports.acknowledgeReport(
          { reportId: critical.report!.id },
          svc.client.as(gp2),
        )
      ).replayed,
    ).toBe(true);
    const after = await svc.client.reports.listUnacknowledgedReports({}, svc.client.as(gp2));
    expect(after.reports.map((r) => r.report!.id)).toEqual([low.report!.id]);
    // an amendment needs a fresh acknowledgement; the old version can no longer be acknowledged
    await svc.client.reports.amendReport(
      {
        reportId: critical.report!.id,
        report: fbc(id('c'), nhs, {
          requester: 'E81001',
          region: 'london',
          haemoglobin: 58,
          interpretation: I.INTERPRETATION_CRITICAL_LOW,
          issued: new Date(t0.getTime() - 3_600_000),
        }),
        reason: 'repeat confirms',
      },
      svc.client.as(lab),
    );
    const again = await svc.client.reports.listUnacknowledgedReports({}, svc.client.as(gp2));
    expect(again.reports.map((r) => r.report!.id)).toEqual([low.report!.id, critical.report!.id]);
    expect(
      await svc.client.fail(
        svc.client.reports.acknowledgeReport(
          { reportId: critical.report!.id, version: 1 },
          svc.client.as(gp2),
        ),
      ),
    ).toMatchObject({ code: status.FAILED_PRECONDITION, reason: 'ILLEGAL_TRANSITION' });
    const page1 = await svc.client.reports.listUnacknowledgedReports(
      { page: { pageSize: 1 } },
      svc.client.as(gp2),
    );
    const page2 = await svc.client.reports.listUnacknowledgedReports(
      { page: { pageSize: 1, pageToken: page1.page!.nextPageToken } },
      svc.client.as(gp2),
    );
    expect([...page1.reports, ...page2.reports].map((r) => r.report!.id)).toEqual([
      low.report!.id,
      critical.report!.id,
    ]);
    const ackEvents = await svc.db.sql.query<{ payload: Buffer }>(
      "SELECT payload FROM outbox_events WHERE key = $1 AND ce_type = 'uk.nhs.trellis.results.ResultAcknowledged.v1'",
      [nhs],
    );
    expect(ackEvents.rows).toHaveLength(1);
    expect(events.v1.ResultAcknowledged.decode(ackEvents.rows[0]!.payload)).toMatchObject({
      acknowledgedVersion: 1,
      acknowledgedBySystemId: 'gp2-system',
      note: 'patient called, admitted',
      report: { reportId: critical.report!.id, requester: { odsCode: 'E81001', region: 'london' } },
    });
    // every patient-data call was audited through the outbox
    const audit = await svc.db.sql.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM outbox_events WHERE topic = 'trellis.audit.access.v1' AND key = $1",
      [nhs],
    );
    expect(audit.rows[0]!.n).toBeGreaterThanOrEqual(6);
  });
});
