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

import type { FhirConfig, PlatformName } from '../fhir.config';
import { forwardContext, sendFhir } from '../fhir.http';
import { FHIR_PREFIX } from '../fhir.registry';
import { bundle, selfUrl } from '../fhir.support';
import { PlatformCallError, type ForwardContext, type PlatformClients } from '../platform-clients';
import { fhirOperation, instanceOperationDefinition, returnParameter } from './fhir-operation';

/** GET /fhir/Patient/:id/$everything */
export const PATIENT_EVERYTHING = fhirOperation(
  instanceOperationDefinition('Patient', 'everything', {
    description:
      'One Bundle (searchset) with the Patient, Appointments, ServiceRequests and DiagnosticReports from identity, appointments, referrals and results, gathered in parallel with per-platform deadlines; a platform that does not answer in time yields an OperationOutcome entry naming it.',
    affectsState: false,
    parameter: [returnParameter('Bundle', 'The shared care record')],
  }),
  {
    method: 'GET',
    platform: 'identity',
    scope: 'system/Patient.r',
    patientData: true,
    patientAccess: true,
    summary: 'Shared care record: the patient and everything the platforms hold about them',
  },
);

/** What $everything uses: the platforms, the public URL and the per-platform deadline. */
export interface EverythingContext {
  readonly platforms: PlatformClients;
  readonly config: Pick<FhirConfig, 'publicUrl' | 'everythingDeadlineMs'>;
}

type Gathered = { platform: PlatformName; resources: Resource[] };

/**
 * Serves Patient/{nhs}/$everything, the shared care record: the patient (identity) and their
 * appointments, referrals and reports from the four platforms in parallel, each under its own
 * deadline. A platform that fails or does not answer in time is reported as an OperationOutcome
 * entry naming it — never a silent gap.
 */
export async function patientEverything(
  { platforms, config }: EverythingContext,
  req: Request,
  res: Response,
): Promise<Bundle> {
  const nhs = String(req.params['id']);
  if (!validateNhsNumber(nhs).valid) {
    throw FhirError.of(404, 'not-found', 'nhs-number.format', `Patient/${nhs} not found`);
  }
  const ctx = forwardContext(req);
  const deadline = config.everythingDeadlineMs;
  // identity first-class: an unknown patient is a 404, not an empty record
  const patientCall = platforms
    .call(platforms.patients.getPatient, { nhsNumber: nhs }, ctx, deadline)
    .then((r) => ({
      platform: 'identity' as const,
      resources: [patientToFhir(r.patient!)] as Resource[],
    }));
  const others: Array<[PlatformName, Promise<Gathered>]> = [
    ['appointments', gatherAppointments(platforms, nhs, ctx, deadline)],
    ['referrals', gatherReferrals(platforms, nhs, ctx, deadline)],
    ['results', gatherResults(platforms, nhs, ctx, deadline)],
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
  const base = `${config.publicUrl}/${FHIR_PREFIX}`;
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
    bundle('searchset', entries, { self: selfUrl(config.publicUrl, req) }, matches),
    problems.length ? { Warning: `199 trellis "incomplete: ${problems.join(', ')}"` } : {},
  );
}

async function gatherAppointments(
  platforms: PlatformClients,
  nhs: string,
  ctx: ForwardContext,
  deadline: number,
): Promise<Gathered> {
  const r = await platforms.call(
    platforms.appointments.listPatientAppointments,
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

async function gatherReferrals(
  platforms: PlatformClients,
  nhs: string,
  ctx: ForwardContext,
  deadline: number,
): Promise<Gathered> {
  // those the caller's organisation sent or receives; a citizen's token: every one of their own
  const r = await platforms.call(
    platforms.referrals.listPatientReferrals,
    { nhsNumber: nhs, statuses: [], page: { pageSize: 200, pageToken: '' } },
    ctx,
    deadline,
  );
  return { platform: 'referrals', resources: r.referrals.map(referralToFhir) };
}

async function gatherResults(
  platforms: PlatformClients,
  nhs: string,
  ctx: ForwardContext,
  deadline: number,
): Promise<Gathered> {
  const r = await platforms.call(
    platforms.reports.searchReports,
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
