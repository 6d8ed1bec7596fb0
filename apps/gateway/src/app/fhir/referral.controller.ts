import { Controller, Req, Res, UseFilters } from '@nestjs/common';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Bundle, ServiceRequest } from '@medplum/fhirtypes';
import { callerOf, isPatientCaller } from '@trellis/auth';
import { REFERRALS_ERRORS, referrals } from '@trellis/contracts';
import {
  FhirError,
  fhirErrorFromPlatform,
  NHS_NUMBER_SYSTEM,
  REFERRAL_REQUEST_ID_SYSTEM,
  referralChangesFromFhir,
  referralFieldPath,
  referralToFhir,
  sendReferralFromFhir,
} from '@trellis/fhir';
import type { Request, Response } from 'express';

import { FhirExceptionFilter, forwardContext, sendFhir } from './fhir.http';
import { FHIR_PREFIX, FhirRoute } from './fhir.registry';
import { clip, PATIENT_MODIFIERS, readPatientParam, searchOf } from './fhir.search';
import { parseQueryString, requiredIfMatch, versionHeaders, headerValue } from './fhir.support';
import {
  patientParamSubject,
  PlatformFhirController,
  type HistoryVersion,
  resourceSubject,
} from './platform-fhir.controller';
import { PlatformCallError } from './platform-clients';
import {
  historySubject,
  REFERRAL_PRIORITY_PARAM,
  stale,
  statusParam,
  token,
  versionToFhir,
  WORKLIST_FIELDS,
} from './referral.fhir';

/** ServiceRequest: e-referrals — send, read, update, versions and worklists (transitions: $operations). */
@Controller(FHIR_PREFIX)
@UseFilters(FhirExceptionFilter)
export class ReferralFhirController extends PlatformFhirController {
  // ---------------------------------------------------------------- ServiceRequest (referrals)

  @FhirRoute({
    method: 'GET',
    path: 'ServiceRequest/:id',
    resource: 'ServiceRequest',
    platform: 'referrals',
    interaction: 'read',
    scope: 'system/ServiceRequest.r',
    patientData: true,
    patientAccess: true,
    subject: resourceSubject,
    summary: 'Read a referral (only its two organisations, and its patient, may)',
  })
  async readReferral(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    const r = await this.call(
      this.platforms.referrals.getReferral,
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
    patientAccess: true,
    subject: patientParamSubject,
    searchParams: [
      {
        name: 'performer',
        type: 'token',
        and: true,
        documentation:
          "ODS code of the receiving organisation; must be the caller's (incoming worklist)",
      },
      {
        name: 'requester',
        type: 'token',
        and: true,
        documentation:
          "ODS code of the referring organisation; must be the caller's (sent referrals)",
      },
      {
        name: 'patient',
        type: 'reference',
        and: true,
        modifiers: PATIENT_MODIFIERS,
        documentation: `The referred patient: Patient/<NHS number>, <NHS number> or patient:identifier=${NHS_NUMBER_SYSTEM}|<NHS number>`,
      },
      {
        name: 'status',
        type: 'token',
        and: true,
        or: true,
        documentation:
          'FHIR status (active, on-hold, revoked, completed) or Trellis referral status (sent, accepted, booked, advice_given, rejected, cancelled, completed); comma-separated = or',
      },
      {
        name: 'priority',
        type: 'token',
        and: true,
        or: true,
        documentation: 'routine, urgent or asap (two-week wait); comma-separated = or',
      },
    ],
    summary:
      "Referral worklists: the caller's incoming (performer) or sent (requester) referrals, optionally of one patient; a patient token: its own referrals (patient=)",
  })
  async searchReferrals(@Req() req: Request, @Res() res: Response): Promise<Bundle> {
    const search = searchOf(req);
    const caller = callerOf(req);
    const ods = caller?.odsCode ?? '';
    const org = (v: string) =>
      (v.split('|').pop() ?? '').replace(/^Organization\//, '').toUpperCase();
    const performers = search.anyOf('performer', org);
    const requesters = search.anyOf('requester', org);
    // a citizen (patient token) has no organisation: their own referrals, by patient (and status)
    if (caller && isPatientCaller(caller)) {
      if (performers || requesters || search.anyOf('priority', token))
        throw FhirError.of(
          400,
          'not-supported',
          'search.service-request.patient-token',
          'a patient token searches its own referrals by patient (and status) only',
          performers ? 'performer' : requesters ? 'requester' : 'priority',
        );
      return this.searchOwnReferrals(req, res, caller.patient);
    }
    if ((performers === undefined) === (requesters === undefined)) {
      throw FhirError.of(
        400,
        'required',
        'search.service-request.worklist',
        'exactly one of performer=<ODS code> (incoming) or requester=<ODS code> (sent) is required',
        performers === undefined ? 'performer' : 'requester',
      );
    }
    const named = (performers ?? requesters)!;
    if ([...named].some((o) => o !== ods.toUpperCase())) {
      throw FhirError.of(
        403,
        'forbidden',
        'search.service-request.organisation',
        `only the caller's own organisation (${ods}) may be searched`,
        performers === undefined ? 'requester' : 'performer',
      );
    }
    const statuses = search.anyOf('status', statusParam);
    const priorities = search.anyOf('priority', (v) => {
      const p = REFERRAL_PRIORITY_PARAM[token(v)];
      if (p === undefined)
        throw FhirError.of(
          400,
          'value',
          'search.priority',
          `unknown priority ${clip(v)}`,
          'priority',
        );
      return p;
    });
    const patients = search.anyOf('patient', (v, m) => readPatientParam(v, m));
    // occurrences ANDed that cannot all hold: nothing matches (never the first one only)
    if ([named, statuses, priorities, patients].some((set) => set?.size === 0))
      return this.noMatch(req, res);
    return this.pagedSearch(req, res, async (page) => {
      const r = await this.call(
        performers !== undefined
          ? this.platforms.referrals.listIncomingReferrals
          : this.platforms.referrals.listSentReferrals,
        {
          statuses: [...(statuses ?? [])],
          priorities: [...(priorities ?? [])],
          nhsNumber: patients ? [...patients][0]! : '',
          page,
        },
        forwardContext(req),
        'ServiceRequest',
        (f) => WORKLIST_FIELDS[f],
      );
      return {
        resources: r.referrals.map(referralToFhir),
        nextPageToken: r.page?.nextPageToken,
        total: r.page?.total,
      };
    });
  }

  /** A citizen's `ServiceRequest?patient=<own>[&status=]`: every referral of their own. */
  private searchOwnReferrals(req: Request, res: Response, own: string): Promise<Bundle> {
    const search = searchOf(req);
    const patient = this.patientParam(req);
    const statuses = search.anyOf('status', statusParam);
    if (patient !== own || statuses?.size === 0) return Promise.resolve(this.noMatch(req, res));
    return this.pagedSearch(req, res, async (page) => {
      const r = await this.call(
        this.platforms.referrals.listPatientReferrals,
        { nhsNumber: own, statuses: [...(statuses ?? [])], page },
        forwardContext(req),
        'ServiceRequest',
        (f) => WORKLIST_FIELDS[f],
      );
      return {
        resources: r.referrals.map(referralToFhir),
        nextPageToken: r.page?.nextPageToken,
        total: r.page?.total,
      };
    });
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
    conditionalCreate: true,
    summary:
      'Send a referral (the referring organisation is the caller; identifier = idempotency key; If-None-Exist: identifier=<system>|<value>)',
  })
  async createReferral(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    this.checkAttachmentSizes(req.body);
    const body = await this.validated<ServiceRequest>(req, 'ServiceRequest', 'create', {
      mode: 'create',
    });
    const send = sendReferralFromFhir(body);
    const ifNoneExist = headerValue(req.headers['if-none-exist']);
    if (ifNoneExist !== undefined) this.checkIfNoneExist(ifNoneExist, send.idempotencyKey);
    let r: referrals.v1.SendReferralResponse;
    try {
      r = await this.platforms.call(
        this.platforms.referrals.sendReferral,
        send,
        forwardContext(req),
      );
    } catch (err) {
      if (!(err instanceof PlatformCallError)) throw err;
      if (ifNoneExist !== undefined && err.decoded.code === GrpcStatus.ALREADY_EXISTS) {
        // the criteria match a referral this organisation sent with different content
        throw FhirError.of(
          412,
          'duplicate',
          'conditional-create.different-request',
          `If-None-Exist matched an existing referral that is a different request: ${err.decoded.message}`,
          'ServiceRequest.identifier',
        );
      }
      throw fhirErrorFromPlatform(err.decoded, 'ServiceRequest', referralFieldPath);
    }
    const s = referralToFhir(r.referral!);
    return sendFhir(res, r.replayed ? 200 : 201, s, {
      ...versionHeaders(s),
      ...(r.replayed
        ? {
            'Content-Location': `${this.base}/ServiceRequest/${s.id}/_history/${s.meta?.versionId ?? '1'}`,
          }
        : {}),
      Location: `${this.base}/ServiceRequest/${s.id}`,
    });
  }

  /**
   * Each contained Binary within the platform's attachment limit, or 413 before validation and
   * before anything reaches the platform (its size is known from the base64 length).
   */
  private checkAttachmentSizes(body: unknown): void {
    const limit = this.config.maxAttachmentBytes;
    const contained = (body as { contained?: unknown } | null)?.contained;
    if (!Array.isArray(contained)) return;
    const over = contained.flatMap((c: unknown, i) => {
      const data = (c as { resourceType?: unknown; data?: unknown } | null)?.data;
      if ((c as { resourceType?: unknown }).resourceType !== 'Binary' || typeof data !== 'string')
        return [];
      const bytes = Buffer.byteLength(data, 'base64');
      return bytes > limit ? [{ i, bytes }] : [];
    });
    if (over.length === 0) return;
    throw new FhirError(
      413,
      over.map(({ i, bytes }) => ({
        severity: 'error' as const,
        code: 'too-costly' as const,
        rule: 'referral.attachment-too-large',
        message: `contained[${i}] (Binary) is ${bytes} bytes; the attachment limit is ${limit} bytes`,
        expression: `ServiceRequest.contained[${i}].data`,
      })),
    );
  }

  /**
   * If-None-Exist for a referral is backed by the platform's unique (referrer, request id): only
   * `identifier=<referral-request system>|<value>`, naming the body's own request id, is served.
   */
  private checkIfNoneExist(header: string, requestId: string): void {
    const params = parseQueryString(header);
    const identifier = params.get('identifier');
    if (params.size !== 1 || identifier?.length !== 1) {
      throw FhirError.of(
        400,
        'not-supported',
        'conditional-create.criteria',
        `If-None-Exist for ServiceRequest supports identifier=${REFERRAL_REQUEST_ID_SYSTEM}|<request id> only`,
      );
    }
    const raw = identifier[0]!;
    const bar = raw.indexOf('|');
    const system = bar >= 0 ? raw.slice(0, bar) : '';
    const value = bar >= 0 ? raw.slice(bar + 1) : raw;
    if (system !== REFERRAL_REQUEST_ID_SYSTEM || value === '') {
      throw FhirError.of(
        400,
        'not-supported',
        'conditional-create.criteria',
        `If-None-Exist identifier must be ${REFERRAL_REQUEST_ID_SYSTEM}|<request id>`,
      );
    }
    if (value !== requestId) {
      throw FhirError.of(
        400,
        'invalid',
        'conditional-create.identifier-mismatch',
        `If-None-Exist names request id ${value}, the ServiceRequest carries ${requestId}`,
        'ServiceRequest.identifier',
      );
    }
  }

  @FhirRoute({
    method: 'PUT',
    path: 'ServiceRequest/:id',
    resource: 'ServiceRequest',
    platform: 'referrals',
    interaction: 'update',
    scope: 'system/ServiceRequest.u',
    patientData: true,
    subject: resourceSubject,
    summary:
      'Update a referral (referring organisation; priority, code, note only; If-Match W/"<version>" required: 428 without, 412 when stale)',
  })
  async updateReferral(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    const id = String(req.params['id']);
    const expected = requiredIfMatch(req.headers['if-match'], 'a referral');
    const body = await this.validated<ServiceRequest>(req, 'ServiceRequest', 'update', {
      mode: 'update',
      id,
    });
    const ctx = forwardContext(req);
    const current = (
      await this.call(
        this.platforms.referrals.getReferral,
        { referralId: id },
        ctx,
        'ServiceRequest',
      )
    ).referral!;
    if (expected !== current.version) throw stale(expected, current.version);
    const { update, immutable } = referralChangesFromFhir(body, current);
    if (immutable.length > 0) {
      await this.conformance.record(
        callerOf(req),
        'ServiceRequest',
        'update',
        422,
        immutable,
        ctx.correlationId,
      );
      throw new FhirError(422, immutable);
    }
    try {
      const r = await this.platforms.call(
        this.platforms.referrals.updateReferral,
        { referralId: id, expectedVersion: expected, ...update },
        ctx,
      );
      const s = referralToFhir(r.referral!);
      return sendFhir(res, 200, s, versionHeaders(s));
    } catch (err) {
      if (!(err instanceof PlatformCallError)) throw err;
      if (err.decoded.code === GrpcStatus.ABORTED)
        throw stale(expected, Number(/at version (\d+)/.exec(err.decoded.message)?.[1] ?? NaN));
      if (err.decoded.reason === REFERRALS_ERRORS.codes.NotEditable[0]) {
        throw FhirError.of(
          409,
          'conflict',
          'service-request.not-editable',
          err.decoded.message,
          'ServiceRequest.status',
        );
      }
      throw fhirErrorFromPlatform(err.decoded, 'ServiceRequest', referralFieldPath);
    }
  }

  @FhirRoute({
    method: 'GET',
    path: 'ServiceRequest/:id/_history/:vid',
    resource: 'ServiceRequest',
    platform: 'referrals',
    interaction: 'vread',
    scope: 'system/ServiceRequest.r',
    patientData: true,
    subject: resourceSubject,
    summary: 'Read one version of a referral (only its two organisations may)',
  })
  async vreadReferral(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    const id = String(req.params['id']);
    const vid = this.versionParam(req, 'ServiceRequest');
    const r = await this.call(
      this.platforms.referrals.getReferralVersion,
      { referralId: id, version: vid },
      forwardContext(req),
      'ServiceRequest',
    );
    const s = versionToFhir(r.version!);
    return sendFhir(res, 200, s, versionHeaders(s));
  }

  @FhirRoute({
    method: 'GET',
    path: 'ServiceRequest/:id/_history',
    resource: 'ServiceRequest',
    platform: 'referrals',
    interaction: 'history-instance',
    scope: 'system/ServiceRequest.r',
    patientData: true,
    subject: historySubject,
    summary: 'Versions of a referral, newest first (paged; only its two organisations may)',
  })
  async referralHistory(@Req() req: Request, @Res() res: Response): Promise<Bundle> {
    const id = String(req.params['id']);
    const count = searchOf(req).count;
    const r = await this.call(
      this.platforms.referrals.listReferralVersions,
      { referralId: id, page: { pageSize: Math.max(count, 1), pageToken: this.pageToken(req) } },
      forwardContext(req),
      'ServiceRequest',
    );
    const versions = r.versions.map((v): HistoryVersion => {
      const created = v.change === 'created';
      return {
        resource: versionToFhir(v),
        version: v.version,
        created,
        request: created
          ? { method: 'POST', url: 'ServiceRequest' }
          : { method: 'PUT', url: `ServiceRequest/${id}` },
      };
    });
    return this.historyBundle(req, res, 'ServiceRequest', versions, {
      count,
      nextPageToken: r.page?.nextPageToken,
      total: r.page?.total,
    });
  }
}
