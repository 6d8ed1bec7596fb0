import { Controller, Inject, Req, Res, UseFilters } from '@nestjs/common';
import type {
  Appointment,
  Schedule,
  Bundle,
  DiagnosticReport,
  Observation,
  Parameters,
  Resource,
  ServiceRequest,
} from '@medplum/fhirtypes';
import { callerOf, type AuditSubjectExtractor } from '@trellis/auth';
import { appointments, referrals, results, toTimestamp } from '@trellis/contracts';
import {
  appointmentToFhir,
  FhirError,
  fhirErrorFromPlatform,
  NHS_NUMBER_SYSTEM,
  referralToFhir,
  reportToFhir,
  scheduleToFhir,
  sendReferralFromFhir,
  parseObservationId,
  reportObservationsToFhir,
  slotToFhir,
  submitReportFromFhir,
  validateFhirResource,
  validateNhsNumber,
} from '@trellis/fhir';
import type { Request, Response } from 'express';

import { ConformanceRecorder } from './conformance';
import { FHIR_CONFIG, type FhirConfig, type PlatformName } from './fhir.config';
import { FhirExceptionFilter, forwardContext, sendFhir } from './fhir.http';
import { FHIR_PREFIX, FhirRoute, type FhirOperationSpec } from './fhir.registry';
import { bundle, countParam, queryParams, selfUrl, versionHeaders } from './fhir.support';
import { PLATFORM_CLIENTS } from './fhir.tokens';
import { PlatformCallError, type ForwardContext, type PlatformClients } from './platform-clients';

const APPOINTMENTS = 'trellis.appointments.v1.AppointmentService';
const REFERRALS = 'trellis.referrals.v1.ReferralService';
const RESULTS = 'trellis.results.v1.ReportService';

/** The audit subject of a clinical resource: its id, and the patient from the answer. */
const resourceSubject: AuditSubjectExtractor = (req, res) => {
  const id = (req as { params?: { id?: string } }).params?.id;
  const r = res as (Resource & { subject?: { identifier?: { value?: string } } }) | undefined;
  const patient =
    r?.resourceType === 'Appointment'
      ? r.participant?.find((p) => p.actor?.identifier?.system === NHS_NUMBER_SYSTEM)?.actor
          ?.identifier?.value
      : r?.subject?.identifier?.value;
  return { ...(id ? { resourceId: id } : {}), ...(patient ? { nhsNumber: patient } : {}) };
};
const patientParamSubject: AuditSubjectExtractor = (req) => {
  const q = (req as { query?: Record<string, unknown> }).query ?? {};
  const p = typeof q['patient'] === 'string' ? q['patient'].replace(/^Patient\//, '') : undefined;
  return p ? { nhsNumber: p } : {};
};

function op(
  name: string,
  instance: boolean,
  description: string,
  params: FhirOperationSpec['parameters'],
): FhirOperationSpec {
  return { name, instance, description, affectsState: true, parameters: params };
}
const REASON_PARAM = {
  name: 'reason',
  use: 'in' as const,
  min: 0,
  max: '1',
  type: 'string',
  documentation: 'Free-text reason or note',
};

/** Parameters.parameter[name] as a string (valueString/Code/Id/Uri/Reference/Integer). */
function param(body: Parameters, name: string): string | undefined {
  const p = body.parameter?.find((x) => x.name === name);
  if (!p) return undefined;
  const v =
    p.valueString ??
    p.valueCode ??
    p.valueId ??
    p.valueUri ??
    p.valueReference?.reference ??
    p.valueIdentifier?.value ??
    p.valueInteger;
  return v === undefined ? undefined : String(v);
}

/** Comma-separated token values of a search parameter (system| prefixes dropped), lower case. */
function tokens(params: Map<string, string[]>, name: string): string[] {
  return (params.get(name) ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => (v.split('|').pop() ?? '').trim().toLowerCase())
    .filter((v) => v !== '');
}
const RS = referrals.v1.ReferralStatus;
const REFERRAL_STATUS_PARAM: Record<string, referrals.v1.ReferralStatus[] | undefined> = {
  active: [RS.REFERRAL_STATUS_SENT, RS.REFERRAL_STATUS_ACCEPTED, RS.REFERRAL_STATUS_BOOKED],
  'on-hold': [RS.REFERRAL_STATUS_ADVICE_GIVEN],
  revoked: [RS.REFERRAL_STATUS_REJECTED, RS.REFERRAL_STATUS_CANCELLED],
  completed: [RS.REFERRAL_STATUS_COMPLETED],
  sent: [RS.REFERRAL_STATUS_SENT],
  accepted: [RS.REFERRAL_STATUS_ACCEPTED],
  booked: [RS.REFERRAL_STATUS_BOOKED],
  advice_given: [RS.REFERRAL_STATUS_ADVICE_GIVEN],
  rejected: [RS.REFERRAL_STATUS_REJECTED],
  cancelled: [RS.REFERRAL_STATUS_CANCELLED],
};
const REFERRAL_PRIORITY_PARAM: Record<string, referrals.v1.ReferralPriority | undefined> = {
  routine: referrals.v1.ReferralPriority.REFERRAL_PRIORITY_ROUTINE,
  urgent: referrals.v1.ReferralPriority.REFERRAL_PRIORITY_URGENT,
  asap: referrals.v1.ReferralPriority.REFERRAL_PRIORITY_TWO_WEEK_WAIT,
};

/**
 * Appointment, ServiceRequest and DiagnosticReport: reads, patient searches and the platforms'
 * operations ($book, referral $accept/$reject, result $acknowledge) mapped onto their gRPC APIs.
 */
@Controller(FHIR_PREFIX)
@UseFilters(FhirExceptionFilter)
export class ClinicalFhirController {
  constructor(
    @Inject(PLATFORM_CLIENTS) private readonly platforms: PlatformClients,
    @Inject(FHIR_CONFIG) private readonly config: FhirConfig,
    @Inject(ConformanceRecorder) private readonly conformance: ConformanceRecorder,
  ) {}

  private async call<Res>(
    platform: PlatformName,
    service: string,
    method: string,
    req: unknown,
    ctx: ForwardContext,
    type: string,
  ): Promise<Res> {
    try {
      return await this.platforms.call<Res>(platform, service, method, req, ctx);
    } catch (err) {
      if (err instanceof PlatformCallError) throw fhirErrorFromPlatform(err.decoded, type);
      throw err;
    }
  }

  private patientParam(req: Request): string {
    const raw = queryParams(req).get('patient')?.[0];
    const nhs = raw
      ?.replace(/^Patient\//, '')
      .split('|')
      .pop();
    if (!nhs || !validateNhsNumber(nhs).valid) {
      throw FhirError.of(
        400,
        'required',
        'search.patient',
        'patient=<NHS number> is required',
        'patient',
      );
    }
    return nhs;
  }

  private searchset(req: Request, res: Response, resources: Resource[]): Bundle {
    const base = `${this.config.publicUrl}/${FHIR_PREFIX}`;
    return sendFhir(
      res,
      200,
      bundle(
        'searchset',
        resources.map((r) => ({
          fullUrl: `${base}/${r.resourceType}/${r.id}`,
          resource: r,
          search: { mode: 'match' },
        })),
        { self: selfUrl(this.config.publicUrl, req) },
        resources.length,
      ),
    );
  }

  /** Validates an operation's Parameters body; a refusal is counted like any other. */
  private async parameters(req: Request, type: string, interaction: string): Promise<Parameters> {
    const result = validateFhirResource(req.body ?? { resourceType: 'Parameters' }, {
      resourceType: 'Parameters',
    });
    if (result.valid) return (req.body ?? { resourceType: 'Parameters' }) as Parameters;
    await this.conformance.record(
      callerOf(req),
      type,
      interaction,
      result.status,
      result.issues,
      forwardContext(req).correlationId,
    );
    throw new FhirError(result.status, result.issues);
  }

  // ---------------------------------------------------------------- Appointment (appointments)

  @FhirRoute({
    method: 'GET',
    path: 'Appointment/:id',
    resource: 'Appointment',
    platform: 'appointments',
    interaction: 'read',
    scope: 'system/Appointment.r',
    patientData: true,
    subject: resourceSubject,
    summary: 'Read an appointment',
  })
  async readAppointment(@Req() req: Request, @Res() res: Response): Promise<Appointment> {
    const r = await this.call<appointments.v1.GetAppointmentResponse>(
      'appointments',
      APPOINTMENTS,
      'GetAppointment',
      { appointmentId: String(req.params['id']) },
      forwardContext(req),
      'Appointment',
    );
    const a = appointmentToFhir(r.appointment!);
    return sendFhir(res, 200, a, versionHeaders(a));
  }

  @FhirRoute({
    method: 'GET',
    path: 'Appointment',
    resource: 'Appointment',
    platform: 'appointments',
    interaction: 'search-type',
    scope: 'system/Appointment.s',
    patientData: true,
    subject: patientParamSubject,
    searchParams: [
      { name: 'patient', type: 'reference', documentation: 'Patient/<NHS number> (required)' },
      { name: '_count', type: 'number', documentation: 'Page size (capped)' },
    ],
    summary: "A patient's appointments (past and upcoming)",
  })
  async searchAppointments(@Req() req: Request, @Res() res: Response): Promise<Bundle> {
    const nhs = this.patientParam(req);
    const count = countParam(queryParams(req), 50, this.config.maxCount);
    const r = await this.call<appointments.v1.ListPatientAppointmentsResponse>(
      'appointments',
      APPOINTMENTS,
      'ListPatientAppointments',
      {
        nhsNumber: nhs,
        period: appointments.v1.AppointmentPeriod.APPOINTMENT_PERIOD_ALL,
        page: { pageSize: Math.max(count, 1), pageToken: '' },
      },
      forwardContext(req),
      'Appointment',
    );
    return this.searchset(req, res, r.appointments.map(appointmentToFhir));
  }

  @FhirRoute({
    method: 'POST',
    path: 'Appointment/$book',
    resource: 'Appointment',
    platform: 'appointments',
    interaction: 'operation',
    scope: 'system/Appointment.c',
    patientData: true,
    subject: resourceSubject,
    summary: 'Book a free slot for a patient (idempotent per booking organisation)',
    operation: op(
      'book',
      false,
      'Books a free Slot for a Patient. Parameters: slot (Slot/<id>), patient (Patient/<NHS number>), idempotency-key, optional referral (ServiceRequest/<id>). Returns the booked Appointment; a replay with the same key returns the same booking.',
      [
        {
          name: 'slot',
          use: 'in',
          min: 1,
          max: '1',
          type: 'Reference',
          documentation: 'Slot/<id>',
        },
        {
          name: 'patient',
          use: 'in',
          min: 1,
          max: '1',
          type: 'Reference',
          documentation: 'Patient/<NHS number>',
        },
        {
          name: 'idempotency-key',
          use: 'in',
          min: 1,
          max: '1',
          type: 'string',
          documentation: 'Unique per booking organisation (8..128 chars)',
        },
        {
          name: 'referral',
          use: 'in',
          min: 0,
          max: '1',
          type: 'Reference',
          documentation: 'ServiceRequest/<id>',
        },
        {
          name: 'return',
          use: 'out',
          min: 1,
          max: '1',
          type: 'Appointment',
          documentation: 'The booked appointment',
        },
      ],
    ),
  })
  async book(@Req() req: Request, @Res() res: Response): Promise<Appointment> {
    const p = await this.parameters(req, 'Appointment', 'operation:$book');
    const slot = param(p, 'slot')?.replace(/^Slot\//, '');
    const patient = param(p, 'patient')?.replace(/^Patient\//, '');
    const key = param(p, 'idempotency-key');
    const missing = [
      ['slot', slot],
      ['patient', patient],
      ['idempotency-key', key],
    ]
      .filter(([, v]) => !v)
      .map(([n]) => n!);
    if (missing.length) {
      throw new FhirError(
        400,
        missing.map((n) => ({
          severity: 'error',
          code: 'required',
          rule: 'operation.parameter.required',
          expression: `Parameters.parameter.where(name='${n}')`,
          message: `parameter ${n} is required`,
        })),
      );
    }
    if (!validateNhsNumber(patient).valid) {
      throw FhirError.of(
        422,
        'value',
        'nhs-number.check-digit',
        'patient must be Patient/<valid NHS number>',
        "Parameters.parameter.where(name='patient')",
      );
    }
    const r = await this.call<appointments.v1.BookAppointmentResponse>(
      'appointments',
      APPOINTMENTS,
      'BookAppointment',
      {
        idempotencyKey: key,
        slotId: slot,
        nhsNumber: patient,
        referralId: param(p, 'referral')?.replace(/^ServiceRequest\//, '') ?? '',
      },
      forwardContext(req),
      'Appointment',
    );
    const a = appointmentToFhir(r.appointment!);
    return sendFhir(res, r.replayed ? 200 : 201, a, {
      ...versionHeaders(a),
      Location: `${this.config.publicUrl}/${FHIR_PREFIX}/Appointment/${a.id}`,
    });
  }

  @FhirRoute({
    method: 'GET',
    path: 'Schedule/:id',
    resource: 'Schedule',
    platform: 'appointments',
    interaction: 'read',
    scope: 'system/Schedule.r',
    summary: 'Read a schedule (an organisation service offering bookable slots)',
  })
  async readSchedule(@Req() req: Request, @Res() res: Response): Promise<Schedule> {
    const r = await this.call<appointments.v1.GetScheduleResponse>(
      'appointments',
      'trellis.appointments.v1.ScheduleService',
      'GetSchedule',
      { scheduleId: String(req.params['id']) },
      forwardContext(req),
      'Schedule',
    );
    return sendFhir(res, 200, scheduleToFhir(r.schedule!));
  }

  @FhirRoute({
    method: 'GET',
    path: 'Slot',
    resource: 'Slot',
    platform: 'appointments',
    interaction: 'search-type',
    scope: 'system/Slot.s',
    searchParams: [
      {
        name: 'start',
        type: 'date',
        documentation:
          'ge<instant> and lt<instant> (window of at most 92 days; default the next 14 days)',
      },
      { name: 'service-type', type: 'token', documentation: 'Service type code' },
      {
        name: 'organization',
        type: 'token',
        documentation: 'ODS code of the providing organisation',
      },
      { name: '_count', type: 'number', documentation: 'Page size (capped)' },
    ],
    summary: 'Free slots, soonest first',
  })
  async searchSlots(@Req() req: Request, @Res() res: Response): Promise<Bundle> {
    const params = queryParams(req);
    const count = countParam(params, 50, this.config.maxCount);
    let from = new Date();
    let to = new Date(from.getTime() + 14 * 86_400_000);
    for (const v of params.get('start') ?? []) {
      const m = /^(ge|gt|le|lt)(.+)$/.exec(v);
      const d = m ? new Date(m[2]!) : new Date(NaN);
      if (!m || Number.isNaN(d.getTime()))
        throw FhirError.of(
          400,
          'invalid',
          'search.start',
          'start must be ge<instant> / lt<instant>',
          'start',
        );
      if (m[1] === 'ge' || m[1] === 'gt') from = d;
      else to = d;
    }
    const r = await this.call<appointments.v1.SearchFreeSlotsResponse>(
      'appointments',
      'trellis.appointments.v1.ScheduleService',
      'SearchFreeSlots',
      {
        serviceType: params.get('service-type')?.[0] ?? '',
        odsCode: (params.get('organization')?.[0] ?? '').split('|').pop() ?? '',
        region: '',
        startFrom: toTimestamp(from),
        startTo: toTimestamp(to),
        page: { pageSize: Math.max(count, 1), pageToken: '' },
      },
      forwardContext(req),
      'Slot',
    );
    return this.searchset(req, res, r.slots.map(slotToFhir));
  }

  // ---------------------------------------------------------------- ServiceRequest (referrals)

  @FhirRoute({
    method: 'GET',
    path: 'ServiceRequest/:id',
    resource: 'ServiceRequest',
    platform: 'referrals',
    interaction: 'read',
    scope: 'system/ServiceRequest.r',
    patientData: true,
    subject: resourceSubject,
    summary: 'Read a referral (only its two organisations may)',
  })
  async readReferral(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    const r = await this.call<referrals.v1.GetReferralResponse>(
      'referrals',
      REFERRALS,
      'GetReferral',
      { referralId: String(req.params['id']) },
      forwardContext(req),
      'ServiceRequest',
    );
    const s = referralToFhir(r.referral!);
    return sendFhir(res, 200, s, versionHeaders(s));
  }

  @FhirRoute({
    method: 'GET',
    path: 'ServiceRequest',
    resource: 'ServiceRequest',
    platform: 'referrals',
    interaction: 'search-type',
    scope: 'system/ServiceRequest.s',
    patientData: true,
    subject: () => ({}),
    searchParams: [
      {
        name: 'performer',
        type: 'token',
        documentation:
          "ODS code of the receiving organisation; must be the caller's (incoming worklist)",
      },
      {
        name: 'requester',
        type: 'token',
        documentation:
          "ODS code of the referring organisation; must be the caller's (sent referrals)",
      },
      {
        name: 'status',
        type: 'token',
        documentation:
          'FHIR status (active, on-hold, revoked, completed) or Trellis referral status (sent, accepted, booked, advice_given, rejected, cancelled, completed); comma-separated',
      },
      {
        name: 'priority',
        type: 'token',
        documentation: 'routine, urgent or asap (two-week wait); comma-separated',
      },
      { name: '_count', type: 'number', documentation: 'Page size (capped)' },
    ],
    summary: "Referral worklists: the caller's incoming (performer) or sent (requester) referrals",
  })
  async searchReferrals(@Req() req: Request, @Res() res: Response): Promise<Bundle> {
    const params = queryParams(req);
    const count = countParam(params, 50, this.config.maxCount);
    const ods = callerOf(req)?.odsCode ?? '';
    const org = (name: string) =>
      params
        .get(name)?.[0]
        ?.split('|')
        .pop()
        ?.replace(/^Organization\//, '');
    const performer = org('performer');
    const requester = org('requester');
    if ((performer === undefined) === (requester === undefined)) {
      throw FhirError.of(
        400,
        'required',
        'search.service-request.worklist',
        'exactly one of performer=<ODS code> (incoming) or requester=<ODS code> (sent) is required',
        performer === undefined ? 'performer' : 'requester',
      );
    }
    const named = (performer ?? requester)!;
    if (named.toUpperCase() !== ods.toUpperCase()) {
      throw FhirError.of(
        403,
        'forbidden',
        'search.service-request.organisation',
        `only the caller's own organisation (${ods}) may be searched`,
        performer === undefined ? 'requester' : 'performer',
      );
    }
    const statuses = tokens(params, 'status').map((v) => {
      const s = REFERRAL_STATUS_PARAM[v];
      if (!s) throw FhirError.of(400, 'value', 'search.status', `unknown status ${v}`, 'status');
      return s;
    });
    const priorities = tokens(params, 'priority').map((v) => {
      const p = REFERRAL_PRIORITY_PARAM[v];
      if (p === undefined)
        throw FhirError.of(400, 'value', 'search.priority', `unknown priority ${v}`, 'priority');
      return p;
    });
    const pageToken = params.get('_page_token')?.[0] ?? '';
    const r = await this.call<referrals.v1.ListIncomingReferralsResponse>(
      'referrals',
      REFERRALS,
      performer !== undefined ? 'ListIncomingReferrals' : 'ListSentReferrals',
      {
        statuses: [...new Set(statuses.flat())],
        priorities: [...new Set(priorities)],
        page: { pageSize: Math.max(count, 1), pageToken },
      },
      forwardContext(req),
      'ServiceRequest',
    );
    const base = `${this.config.publicUrl}/${FHIR_PREFIX}`;
    let next: string | undefined;
    if (r.page?.nextPageToken && count > 0) {
      const q = new URLSearchParams();
      for (const [k, vs] of params) if (k !== '_page_token') for (const v of vs) q.append(k, v);
      q.set('_count', String(count));
      q.set('_page_token', r.page.nextPageToken);
      next = `${base}/ServiceRequest?${q.toString()}`;
    }
    const found = count === 0 ? [] : r.referrals.map(referralToFhir);
    const total = r.page?.total;
    return sendFhir(
      res,
      200,
      bundle(
        'searchset',
        found.map((s) => ({
          fullUrl: `${base}/ServiceRequest/${s.id}`,
          resource: s,
          search: { mode: 'match' },
        })),
        { self: selfUrl(this.config.publicUrl, req), ...(next ? { next } : {}) },
        total !== undefined && total !== null ? Number(total) : undefined,
      ),
    );
  }

  @FhirRoute({
    method: 'POST',
    path: 'ServiceRequest',
    resource: 'ServiceRequest',
    platform: 'referrals',
    interaction: 'create',
    scope: 'system/ServiceRequest.c',
    patientData: true,
    subject: resourceSubject,
    summary:
      'Send a referral (the referring organisation is the caller; identifier = idempotency key)',
  })
  async createReferral(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    const result = validateFhirResource(req.body, {
      resourceType: 'ServiceRequest',
      mode: 'create',
    });
    if (!result.valid) {
      await this.conformance.record(
        callerOf(req),
        'ServiceRequest',
        'create',
        result.status,
        result.issues,
        forwardContext(req).correlationId,
      );
      throw new FhirError(result.status, result.issues);
    }
    const r = await this.call<referrals.v1.SendReferralResponse>(
      'referrals',
      REFERRALS,
      'SendReferral',
      sendReferralFromFhir(req.body as ServiceRequest),
      forwardContext(req),
      'ServiceRequest',
    );
    const s = referralToFhir(r.referral!);
    return sendFhir(res, r.replayed ? 200 : 201, s, {
      ...versionHeaders(s),
      Location: `${this.config.publicUrl}/${FHIR_PREFIX}/ServiceRequest/${s.id}`,
    });
  }

  private async transition(
    req: Request,
    res: Response,
    method:
      'AcceptReferral' | 'RejectReferral' | 'CancelReferral' | 'CompleteReferral' | 'GiveAdvice',
    field: 'note' | 'reason' | 'advice',
  ): Promise<ServiceRequest> {
    const p = await this.parameters(req, 'ServiceRequest', `operation:${method}`);
    const text = param(p, field) ?? param(p, 'reason') ?? param(p, 'note') ?? '';
    const r = await this.call<{ referral?: referrals.v1.Referral }>(
      'referrals',
      REFERRALS,
      method,
      { referralId: String(req.params['id']), [field]: text },
      forwardContext(req),
      'ServiceRequest',
    );
    const s = referralToFhir(r.referral!);
    return sendFhir(res, 200, s, versionHeaders(s));
  }

  @FhirRoute({
    method: 'POST',
    path: 'ServiceRequest/:id/$accept',
    resource: 'ServiceRequest',
    platform: 'referrals',
    interaction: 'operation',
    scope: 'system/ServiceRequest.u',
    patientData: true,
    subject: resourceSubject,
    summary: 'Accept a referral (receiving organisation)',
    operation: op(
      'accept',
      true,
      'The receiving organisation accepts the referral (e-RS accept). Returns the updated ServiceRequest.',
      [
        { ...REASON_PARAM, name: 'note' },
        {
          name: 'return',
          use: 'out',
          min: 1,
          max: '1',
          type: 'ServiceRequest',
          documentation: 'The referral',
        },
      ],
    ),
  })
  accept(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    return this.transition(req, res, 'AcceptReferral', 'note');
  }

  @FhirRoute({
    method: 'POST',
    path: 'ServiceRequest/:id/$reject',
    resource: 'ServiceRequest',
    platform: 'referrals',
    interaction: 'operation',
    scope: 'system/ServiceRequest.u',
    patientData: true,
    subject: resourceSubject,
    summary: 'Reject a referral with a reason',
    operation: op(
      'reject',
      true,
      'The receiving organisation rejects the referral with a reason. Returns the updated ServiceRequest.',
      [
        { ...REASON_PARAM, min: 1 },
        {
          name: 'return',
          use: 'out',
          min: 1,
          max: '1',
          type: 'ServiceRequest',
          documentation: 'The referral',
        },
      ],
    ),
  })
  reject(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    return this.transition(req, res, 'RejectReferral', 'reason');
  }

  @FhirRoute({
    method: 'POST',
    path: 'ServiceRequest/:id/$advise',
    resource: 'ServiceRequest',
    platform: 'referrals',
    interaction: 'operation',
    scope: 'system/ServiceRequest.u',
    patientData: true,
    subject: resourceSubject,
    summary: 'Answer a referral with advice instead of accepting it (advice and guidance)',
    operation: op(
      'advise',
      true,
      'The receiving organisation returns advice (e-RS advice and guidance). Parameters: advice. Returns the updated ServiceRequest.',
      [
        { ...REASON_PARAM, name: 'advice', min: 1 },
        {
          name: 'return',
          use: 'out',
          min: 1,
          max: '1',
          type: 'ServiceRequest',
          documentation: 'The referral',
        },
      ],
    ),
  })
  advise(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    return this.transition(req, res, 'GiveAdvice', 'advice');
  }

  @FhirRoute({
    method: 'POST',
    path: 'ServiceRequest/:id/$complete',
    resource: 'ServiceRequest',
    platform: 'referrals',
    interaction: 'operation',
    scope: 'system/ServiceRequest.u',
    patientData: true,
    subject: resourceSubject,
    summary: 'Complete (discharge) a referral',
    operation: op(
      'complete',
      true,
      'The receiving organisation completes the referral. Parameters: note. Returns the updated ServiceRequest.',
      [
        { ...REASON_PARAM, name: 'note' },
        {
          name: 'return',
          use: 'out',
          min: 1,
          max: '1',
          type: 'ServiceRequest',
          documentation: 'The referral',
        },
      ],
    ),
  })
  complete(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    return this.transition(req, res, 'CompleteReferral', 'note');
  }

  @FhirRoute({
    method: 'POST',
    path: 'ServiceRequest/:id/$cancel',
    resource: 'ServiceRequest',
    platform: 'referrals',
    interaction: 'operation',
    scope: 'system/ServiceRequest.u',
    patientData: true,
    subject: resourceSubject,
    summary: 'Cancel a referral (referring organisation)',
    operation: op(
      'cancel',
      true,
      'The referring organisation cancels the referral with a reason. Returns the updated ServiceRequest.',
      [
        { ...REASON_PARAM, min: 1 },
        {
          name: 'return',
          use: 'out',
          min: 1,
          max: '1',
          type: 'ServiceRequest',
          documentation: 'The referral',
        },
      ],
    ),
  })
  cancelReferral(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    return this.transition(req, res, 'CancelReferral', 'reason');
  }

  @FhirRoute({
    method: 'POST',
    path: 'Appointment/:id/$cancel',
    resource: 'Appointment',
    platform: 'appointments',
    interaction: 'operation',
    scope: 'system/Appointment.u',
    patientData: true,
    subject: resourceSubject,
    summary: 'Cancel an appointment (frees its slot)',
    operation: op(
      'cancel',
      true,
      'Cancels a booked appointment with a reason; the slot becomes free again. Returns the cancelled Appointment.',
      [
        { ...REASON_PARAM, min: 1 },
        {
          name: 'return',
          use: 'out',
          min: 1,
          max: '1',
          type: 'Appointment',
          documentation: 'The cancelled appointment',
        },
      ],
    ),
  })
  async cancelAppointment(@Req() req: Request, @Res() res: Response): Promise<Appointment> {
    const p = await this.parameters(req, 'Appointment', 'operation:$cancel');
    const r = await this.call<{ appointment?: appointments.v1.Appointment }>(
      'appointments',
      APPOINTMENTS,
      'CancelAppointment',
      { appointmentId: String(req.params['id']), reason: param(p, 'reason') ?? '' },
      forwardContext(req),
      'Appointment',
    );
    const a = appointmentToFhir(r.appointment!);
    return sendFhir(res, 200, a, versionHeaders(a));
  }

  // ---------------------------------------------------------------- DiagnosticReport (results)

  @FhirRoute({
    method: 'GET',
    path: 'DiagnosticReport/:id',
    resource: 'DiagnosticReport',
    platform: 'results',
    interaction: 'read',
    scope: 'system/DiagnosticReport.r',
    patientData: true,
    subject: resourceSubject,
    summary: 'Read the latest version of a report (observations contained)',
  })
  async readReport(@Req() req: Request, @Res() res: Response): Promise<DiagnosticReport> {
    return this.report(req, res, 0);
  }

  @FhirRoute({
    method: 'POST',
    path: 'DiagnosticReport',
    resource: 'DiagnosticReport',
    platform: 'results',
    interaction: 'create',
    scope: 'system/DiagnosticReport.c',
    patientData: true,
    subject: resourceSubject,
    summary:
      'Submit a lab report with contained Observations (the performing lab is the caller; identifier = idempotency key)',
  })
  async createReport(@Req() req: Request, @Res() res: Response): Promise<DiagnosticReport> {
    const result = validateFhirResource(req.body, {
      resourceType: 'DiagnosticReport',
      mode: 'create',
    });
    if (!result.valid) {
      await this.conformance.record(
        callerOf(req),
        'DiagnosticReport',
        'create',
        result.status,
        result.issues,
        forwardContext(req).correlationId,
      );
      throw new FhirError(result.status, result.issues);
    }
    const r = await this.call<results.v1.SubmitReportResponse>(
      'results',
      RESULTS,
      'SubmitReport',
      { report: submitReportFromFhir(req.body as DiagnosticReport) },
      forwardContext(req),
      'DiagnosticReport',
    );
    const d = reportToFhir(r.report!);
    return sendFhir(res, r.replayed ? 200 : 201, d, {
      ...versionHeaders(d),
      Location: `${this.config.publicUrl}/${FHIR_PREFIX}/DiagnosticReport/${d.id}/_history/${d.meta?.versionId ?? '1'}`,
    });
  }

  @FhirRoute({
    method: 'GET',
    path: 'DiagnosticReport/:id/_history/:vid',
    resource: 'DiagnosticReport',
    platform: 'results',
    interaction: 'vread',
    scope: 'system/DiagnosticReport.r',
    patientData: true,
    subject: resourceSubject,
    summary: 'Read one version of a report',
  })
  async vreadReport(@Req() req: Request, @Res() res: Response): Promise<DiagnosticReport> {
    const vid = String(req.params['vid']);
    if (!/^[1-9]\d*$/.test(vid))
      throw FhirError.of(404, 'not-found', 'http.not-found', `version ${vid} not found`);
    return this.report(req, res, Number(vid));
  }

  private async report(req: Request, res: Response, version: number): Promise<DiagnosticReport> {
    const r = await this.call<results.v1.GetReportResponse>(
      'results',
      RESULTS,
      'GetReport',
      { reportId: String(req.params['id']), version },
      forwardContext(req),
      'DiagnosticReport',
    );
    const d = reportToFhir(r.report!);
    return sendFhir(res, 200, d, versionHeaders(d));
  }

  @FhirRoute({
    method: 'GET',
    path: 'DiagnosticReport',
    resource: 'DiagnosticReport',
    platform: 'results',
    interaction: 'search-type',
    scope: 'system/DiagnosticReport.s',
    patientData: true,
    subject: patientParamSubject,
    searchParams: [
      { name: 'patient', type: 'reference', documentation: 'Patient/<NHS number> (required)' },
      { name: 'code', type: 'token', documentation: 'Report or observation code' },
      { name: '_count', type: 'number', documentation: 'Page size (capped)' },
    ],
    summary: "A patient's reports, newest first",
  })
  async searchReports(@Req() req: Request, @Res() res: Response): Promise<Bundle> {
    const nhs = this.patientParam(req);
    const params = queryParams(req);
    const count = countParam(params, 50, this.config.maxCount);
    const r = await this.call<results.v1.SearchReportsResponse>(
      'results',
      RESULTS,
      'SearchReports',
      {
        nhsNumber: nhs,
        category: 0,
        code: (params.get('code')?.[0] ?? '').split('|').pop() ?? '',
        statuses: [],
        page: { pageSize: Math.max(count, 1), pageToken: '' },
        includeObservations: true,
      },
      forwardContext(req),
      'DiagnosticReport',
    );
    return this.searchset(req, res, r.reports.map(reportToFhir));
  }

  // ---------------------------------------------------------------- Observation (results)

  @FhirRoute({
    method: 'GET',
    path: 'Observation/:id',
    resource: 'Observation',
    platform: 'results',
    interaction: 'read',
    scope: 'system/Observation.r',
    patientData: true,
    subject: resourceSubject,
    summary:
      'Read one observation of a report (id <report id>-obs-<i>; the token also needs system/DiagnosticReport.r)',
  })
  async readObservation(@Req() req: Request, @Res() res: Response): Promise<Observation> {
    const id = String(req.params['id']);
    const parsed = parseObservationId(id);
    if (!parsed)
      throw FhirError.of(404, 'not-found', 'http.not-found', `Observation/${id} not found`);
    const r = await this.call<results.v1.GetReportResponse>(
      'results',
      RESULTS,
      'GetReport',
      { reportId: parsed.reportId, version: 0 },
      forwardContext(req),
      'Observation',
    );
    const o = reportObservationsToFhir(r.report!)[parsed.index];
    if (!o) throw FhirError.of(404, 'not-found', 'http.not-found', `Observation/${id} not found`);
    return sendFhir(res, 200, o, versionHeaders(o));
  }

  @FhirRoute({
    method: 'GET',
    path: 'Observation',
    resource: 'Observation',
    platform: 'results',
    interaction: 'search-type',
    scope: 'system/Observation.s',
    patientData: true,
    subject: patientParamSubject,
    searchParams: [
      { name: 'patient', type: 'reference', documentation: 'Patient/<NHS number> (required)' },
      {
        name: 'code',
        type: 'token',
        documentation: 'Observation code ([system|]code, LOINC or SNOMED CT)',
      },
      {
        name: '_count',
        type: 'number',
        documentation: 'Reports per page (capped); each report contributes its observations',
      },
    ],
    summary:
      "A patient's observations from the reports the caller may see, newest report first (the token also needs system/DiagnosticReport.s)",
  })
  async searchObservations(@Req() req: Request, @Res() res: Response): Promise<Bundle> {
    const nhs = this.patientParam(req);
    const params = queryParams(req);
    const count = countParam(params, 50, this.config.maxCount);
    const rawCode = params.get('code')?.[0];
    const codeSystem = rawCode?.includes('|') ? rawCode.split('|')[0] : undefined;
    const code = rawCode?.split('|').pop() ?? '';
    const r = await this.call<results.v1.SearchReportsResponse>(
      'results',
      RESULTS,
      'SearchReports',
      {
        nhsNumber: nhs,
        category: 0,
        code,
        statuses: [],
        page: { pageSize: Math.max(count, 1), pageToken: params.get('_page_token')?.[0] ?? '' },
        includeObservations: true,
      },
      forwardContext(req),
      'Observation',
    );
    const found = (count === 0 ? [] : r.reports.flatMap(reportObservationsToFhir)).filter(
      (o) =>
        !code ||
        (o.code.coding ?? []).some(
          (c) => c.code === code && (codeSystem === undefined || c.system === codeSystem),
        ),
    );
    const base = `${this.config.publicUrl}/${FHIR_PREFIX}`;
    let next: string | undefined;
    if (r.page?.nextPageToken && count > 0) {
      const q = new URLSearchParams();
      for (const [k, vs] of params) if (k !== '_page_token') for (const v of vs) q.append(k, v);
      q.set('_count', String(count));
      q.set('_page_token', r.page.nextPageToken);
      next = `${base}/Observation?${q.toString()}`;
    }
    return sendFhir(
      res,
      200,
      bundle(
        'searchset',
        found.map((o) => ({
          fullUrl: `${base}/Observation/${o.id}`,
          resource: o,
          search: { mode: 'match' },
        })),
        { self: selfUrl(this.config.publicUrl, req), ...(next ? { next } : {}) },
        next || params.has('_page_token') ? undefined : found.length,
      ),
    );
  }

  @FhirRoute({
    method: 'POST',
    path: 'DiagnosticReport/:id/$acknowledge',
    resource: 'DiagnosticReport',
    platform: 'results',
    interaction: 'operation',
    scope: 'system/DiagnosticReport.u',
    patientData: true,
    subject: resourceSubject,
    summary: 'Acknowledge (file) a result as the requesting organisation',
    operation: op(
      'acknowledge',
      true,
      'The requesting organisation acknowledges a result version (idempotent: a repeat returns the first acknowledgement). Parameters: version (0/absent = latest), note.',
      [
        {
          name: 'version',
          use: 'in',
          min: 0,
          max: '1',
          type: 'integer',
          documentation: 'Version acknowledged (latest when absent)',
        },
        { ...REASON_PARAM, name: 'note' },
        {
          name: 'return',
          use: 'out',
          min: 1,
          max: '1',
          type: 'DiagnosticReport',
          documentation: 'The acknowledged report',
        },
      ],
    ),
  })
  async acknowledge(@Req() req: Request, @Res() res: Response): Promise<DiagnosticReport> {
    const p = await this.parameters(req, 'DiagnosticReport', 'operation:$acknowledge');
    const version = Number(param(p, 'version') ?? 0);
    const r = await this.call<results.v1.AcknowledgeReportResponse>(
      'results',
      RESULTS,
      'AcknowledgeReport',
      {
        reportId: String(req.params['id']),
        version: Number.isInteger(version) ? version : 0,
        note: param(p, 'note') ?? '',
      },
      forwardContext(req),
      'DiagnosticReport',
    );
    const d = reportToFhir(r.report!);
    return sendFhir(res, 200, d, versionHeaders(d));
  }
}
