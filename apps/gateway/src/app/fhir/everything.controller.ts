import { Controller, Inject, Req, Res, UseFilters } from '@nestjs/common';
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import { appointments } from '@trellis/contracts';
import {
  appointmentToFhir,
  FhirError,
  fhirErrorFromPlatform,
  operationOutcome,
  patientFieldPath,
  patientToFhir,
  referralToFhir,
  reportToFhir,
  validateNhsNumber,
} from '@trellis/fhir';
import type { Request, Response } from 'express';

import { FHIR_CONFIG, type FhirConfig, type PlatformName } from './fhir.config';
import { FhirExceptionFilter, forwardContext, sendFhir } from './fhir.http';
import { FHIR_PREFIX } from './fhir.registry';
import { bundle, selfUrl } from './fhir.support';
import { PLATFORM_CLIENTS } from './fhir.tokens';
import { PlatformCallError, type ForwardContext, type PlatformClients } from './platform-clients';
import { PATIENT_EVERYTHING } from './operations/patient-everything';
import { ServeOperation } from './operations/fhir-operation';

type Gathered = { platform: PlatformName; resources: Resource[] };

/**
 * Shared care record: Patient/{nhs}/$everything gathers the patient (identity) and their
 * appointments, referrals and reports from the four platforms in parallel, each under its own
 * deadline. A platform that fails or does not answer in time is reported as an OperationOutcome
 * entry naming it — never a silent gap.
 */
@Controller(FHIR_PREFIX)
@UseFilters(FhirExceptionFilter)
export class EverythingFhirController {
  constructor(
    @Inject(PLATFORM_CLIENTS) private readonly platforms: PlatformClients,
    @Inject(FHIR_CONFIG) private readonly config: FhirConfig,
  ) {}

  @ServeOperation(PATIENT_EVERYTHING)
  async everything(@Req() req: Request, @Res() res: Response): Promise<Bundle> {
    const nhs = String(req.params['id']);
    if (!validateNhsNumber(nhs).valid) {
      throw FhirError.of(404, 'not-found', 'nhs-number.format', `Patient/${nhs} not found`);
    }
    const ctx = forwardContext(req);
    const deadline = this.config.everythingDeadlineMs;
    // identity first-class: an unknown patient is a 404, not an empty record
    const patientCall = this.platforms
      .call(this.platforms.patients.getPatient, { nhsNumber: nhs }, ctx, deadline)
      .then((r) => ({
        platform: 'identity' as const,
        resources: [patientToFhir(r.patient!)] as Resource[],
      }));
    const others: Array<[PlatformName, Promise<Gathered>]> = [
      ['appointments', this.appointments(nhs, ctx, deadline)],
      ['referrals', this.referrals(nhs, ctx, deadline)],
      ['results', this.results(nhs, ctx, deadline)],
    ];
    const settled = await Promise.allSettled([patientCall, ...others.map(([, p]) => p)]);
    const names: PlatformName[] = ['identity', ...others.map(([n]) => n)];
    const first = settled[0]!;
    if (first.status === 'rejected') {
      const err = first.reason as unknown;
      if (err instanceof PlatformCallError && err.decoded.code !== 4 && err.decoded.code !== 14) {
        throw fhirErrorFromPlatform(err.decoded, 'Patient', patientFieldPath);
      }
    }
    const base = `${this.config.publicUrl}/${FHIR_PREFIX}`;
    const entries: BundleEntry[] = [];
    const problems: string[] = [];
    settled.forEach((s, i) => {
      const platform = names[i]!;
      if (s.status === 'fulfilled') {
        for (const r of s.value.resources) {
          entries.push({
            fullUrl: `${base}/${r.resourceType}/${r.id}`,
            resource: r,
            search: { mode: 'match' },
          });
        }
      } else {
        const e = s.reason as unknown;
        const why =
          e instanceof PlatformCallError
            ? e.decoded.code === 4
              ? `did not answer within ${deadline} ms`
              : e.decoded.code === 14
                ? 'is unavailable'
                : e.decoded.code === 12
                  ? 'is not connected to this gateway'
                  : `failed (${e.decoded.message})`
            : 'failed';
        problems.push(platform);
        const outcome = operationOutcome([
          {
            severity: 'warning',
            code: e instanceof PlatformCallError && e.decoded.code === 4 ? 'timeout' : 'incomplete',
            rule: `everything.platform-unavailable.${platform}`,
            expression: 'Bundle.entry',
            message: `The ${platform} platform ${why}: its records are missing from this record`,
          },
        ]);
        entries.push({
          resource: { ...outcome, id: `everything-${platform}` },
          search: { mode: 'outcome' },
        });
      }
    });
    const matches = entries.filter((e) => e.search?.mode === 'match').length;
    return sendFhir(
      res,
      200,
      bundle('searchset', entries, { self: selfUrl(this.config.publicUrl, req) }, matches),
      problems.length ? { Warning: `199 trellis "incomplete: ${problems.join(', ')}"` } : {},
    );
  }

  private async appointments(
    nhs: string,
    ctx: ForwardContext,
    deadline: number,
  ): Promise<Gathered> {
    const r = await this.platforms.call(
      this.platforms.appointments.listPatientAppointments,
      {
        nhsNumber: nhs,
        period: appointments.v1.AppointmentPeriod.APPOINTMENT_PERIOD_ALL,
        page: { pageSize: 500, pageToken: '' },
      },
      ctx,
      deadline,
    );
    return { platform: 'appointments', resources: r.appointments.map(appointmentToFhir) };
  }

  private async referrals(nhs: string, ctx: ForwardContext, deadline: number): Promise<Gathered> {
    // those the caller's organisation sent or receives; a citizen's token: every one of their own
    const r = await this.platforms.call(
      this.platforms.referrals.listPatientReferrals,
      { nhsNumber: nhs, statuses: [], page: { pageSize: 200, pageToken: '' } },
      ctx,
      deadline,
    );
    return { platform: 'referrals', resources: r.referrals.map(referralToFhir) };
  }

  private async results(nhs: string, ctx: ForwardContext, deadline: number): Promise<Gathered> {
    const r = await this.platforms.call(
      this.platforms.reports.searchReports,
      {
        nhsNumber: nhs,
        category: 0,
        code: '',
        statuses: [],
        page: { pageSize: 500, pageToken: '' },
        includeObservations: false,
      },
      ctx,
      deadline,
    );
    return { platform: 'results', resources: r.reports.map(reportToFhir) };
  }
}
