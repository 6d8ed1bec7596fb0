import { Controller, Inject, Req, Res, UseFilters } from '@nestjs/common';
import type { Bundle, BundleEntry, Patient } from '@medplum/fhirtypes';
import { callerOf } from '@trellis/auth';
import { identity } from '@trellis/contracts';
import {
  FhirError,
  NHS_NUMBER_SYSTEM,
  patientChangesFromFhir,
  patientDeathIssues,
  patientDetailsFromFhir,
  patientFieldPath,
  patientToFhir,
  fhirErrorFromPlatform,
  validateFhirResource,
  validateNhsNumber,
} from '@trellis/fhir';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { TypedUnaryMethod } from '@trellis/service-kit';
import type { Request, Response } from 'express';

import { patientIdentifierSubject } from './audit-subjects';
import { ConformanceRecorder } from './conformance';
import { FHIR_CONFIG, type FhirConfig } from './fhir.config';
import { FhirExceptionFilter, forwardContext, sendFhir } from './fhir.http';
import { FHIR_PREFIX, FhirRoute } from './fhir.registry';
import { conditionQuery, droppedOutcome, searchOf } from './fhir.search';
import { bundle, requiredIfMatch, versionHeaders, headerValue } from './fhir.support';
import { PLATFORM_CLIENTS } from './fhir.tokens';
import { PlatformCallError, type ForwardContext, type PlatformClients } from './platform-clients';
import { applyPatientPatch } from './patient.patch';
import { findPatients, PATIENT_SEARCH_PARAMS } from './patient.search';

/** Patient: read, vread, search (PDS-style trace with scores), create (conditional), update, history. */
@Controller(FHIR_PREFIX)
@UseFilters(FhirExceptionFilter)
export class PatientFhirController {
  constructor(
    @Inject(PLATFORM_CLIENTS) private readonly platforms: PlatformClients,
    @Inject(FHIR_CONFIG) private readonly config: FhirConfig,
    @Inject(ConformanceRecorder) private readonly conformance: ConformanceRecorder,
  ) {}

  private get base(): string {
    return `${this.config.publicUrl}/${FHIR_PREFIX}`;
  }

  private call<Req, Res>(
    method: TypedUnaryMethod<Req, Res>,
    req: NoInfer<Req>,
    ctx: ForwardContext,
  ): Promise<Res> {
    return this.platforms.call(method, req, ctx).catch((err: unknown) => {
      if (err instanceof PlatformCallError)
        throw fhirErrorFromPlatform(err.decoded, 'Patient', patientFieldPath);
      throw err;
    });
  }

  private requireNhs(id: string): string {
    const v = validateNhsNumber(id);
    if (!v.valid) {
      // an id that cannot be an NHS number cannot exist: 404 as FHIR servers answer unknown ids
      throw FhirError.of(
        404,
        'not-found',
        'nhs-number.format',
        `Patient/${id} not found: ${v.message ?? 'invalid NHS number'}`,
      );
    }
    return id;
  }

  @FhirRoute({
    method: 'GET',
    path: 'Patient/:id',
    resource: 'Patient',
    platform: 'identity',
    interaction: 'read',
    scope: 'system/Patient.r',
    patientData: true,
    patientAccess: true,
    summary: 'Read a patient by NHS number',
  })
  async read(@Req() req: Request, @Res() res: Response): Promise<Patient> {
    const id = this.requireNhs(String(req.params['id']));
    const r = await this.call(
      this.platforms.patients.getPatient,
      { nhsNumber: id },
      forwardContext(req),
    );
    const patient = patientToFhir(r.patient!);
    const headers = versionHeaders(patient);
    if (r.superseded) {
      // PDS behaviour: a merged-away number answers the surviving record, and says so
      headers['Content-Location'] = `${this.base}/Patient/${patient.id}`;
      headers['Link'] = `<${this.base}/Patient/${patient.id}>; rel="replaced-by"`;
      patient.link = [
        ...(patient.link ?? []).filter((l) => l.other.reference !== `Patient/${id}`),
        { other: { reference: `Patient/${id}` }, type: 'replaces' },
      ];
    }
    return sendFhir(res, 200, patient, headers);
  }

  @FhirRoute({
    method: 'GET',
    path: 'Patient/:id/_history/:vid',
    resource: 'Patient',
    platform: 'identity',
    interaction: 'vread',
    scope: 'system/Patient.r',
    patientData: true,
    summary: 'Read one version of a patient record',
  })
  async vread(@Req() req: Request, @Res() res: Response): Promise<Patient> {
    const id = this.requireNhs(String(req.params['id']));
    const vid = String(req.params['vid']);
    // a positive version that fits the platform's int32 field; anything else is simply not found
    if (!/^[1-9]\d{0,8}$/.test(vid))
      throw FhirError.of(
        404,
        'not-found',
        'http.not-found',
        `Patient/${id}/_history/${vid} not found`,
      );
    const r = await this.call(
      this.platforms.patients.getPatientVersion,
      { nhsNumber: id, version: Number(vid) },
      forwardContext(req),
    );
    const patient = patientToFhir(r.version!.patient!);
    patient.meta = { ...patient.meta, versionId: String(r.version!.version) };
    return sendFhir(res, 200, patient, versionHeaders(patient));
  }

  @FhirRoute({
    method: 'GET',
    path: 'Patient/:id/_history',
    resource: 'Patient',
    platform: 'identity',
    interaction: 'history-instance',
    scope: 'system/Patient.r',
    patientData: true,
    summary: 'Versions of a patient record, newest first (paged)',
  })
  async history(@Req() req: Request, @Res() res: Response): Promise<Bundle> {
    const id = this.requireNhs(String(req.params['id']));
    const search = searchOf(req);
    const count = search.count;
    const token = search.pageToken;
    const r = await this.call(
      this.platforms.patients.getPatientHistory,
      { nhsNumber: id, page: { pageSize: Math.max(count, 1), pageToken: token } },
      forwardContext(req),
    );
    const entries: BundleEntry[] = r.versions.map((v) => {
      const p = patientToFhir(v.patient!);
      p.meta = { ...p.meta, versionId: String(v.version) };
      const recorded = v.recordedAt
        ? new Date(v.recordedAt.seconds * 1000).toISOString()
        : undefined;
      if (recorded) p.meta.lastUpdated = recorded;
      const created = v.change === 'registered';
      return {
        fullUrl: `${this.base}/Patient/${p.id}`,
        resource: p,
        request: { method: created ? 'POST' : 'PUT', url: created ? 'Patient' : `Patient/${p.id}` },
        response: {
          status: created ? '201 Created' : '200 OK',
          etag: `W/"${v.version}"`,
          ...(recorded ? { lastModified: recorded } : {}),
        },
      };
    });
    const url = `${this.base}/Patient/${id}/_history`;
    const next =
      r.page?.nextPageToken && count > 0 ? search.link(url, {}, r.page.nextPageToken) : undefined;
    return sendFhir(
      res,
      200,
      bundle(
        'history',
        count === 0 ? [] : entries,
        { self: search.link(url), ...(next ? { next } : {}) },
        search.wantTotal ? (r.page?.total ?? undefined) : undefined,
      ),
    );
  }

  @FhirRoute({
    method: 'GET',
    path: 'Patient',
    resource: 'Patient',
    platform: 'identity',
    interaction: 'search-type',
    scope: 'system/Patient.s',
    patientData: true,
    searchParams: PATIENT_SEARCH_PARAMS,
    defaultCount: 10,
    summary: 'Search (trace) patients: identifier lookup or demographic trace with scores',
    subject: patientIdentifierSubject,
  })
  async search(@Req() req: Request, @Res() res: Response): Promise<Bundle> {
    const search = searchOf(req);
    const found = await findPatients(this.platforms, search, forwardContext(req));
    const entries: BundleEntry[] = found.hits.map((h) => ({
      fullUrl: `${this.base}/Patient/${h.patient.id}`,
      resource: h.patient,
      search: {
        mode: 'match',
        ...(h.score !== undefined ? { score: Number(h.score.toFixed(4)) } : {}),
      },
    }));
    return sendFhir(
      res,
      200,
      bundle(
        'searchset',
        [...entries, ...droppedOutcome(search)],
        { self: search.link(`${this.base}/Patient`) },
        search.wantTotal ? found.total : undefined,
      ),
    );
  }

  @FhirRoute({
    method: 'POST',
    path: 'Patient',
    resource: 'Patient',
    platform: 'identity',
    interaction: 'create',
    scope: 'system/Patient.c',
    patientData: true,
    conditionalCreate: true,
    summary:
      'Register a patient (If-None-Exist conditional create; identity allocates the NHS number)',
    subject: (_req, res) => {
      const id = (res as Patient | undefined)?.id;
      return id ? { nhsNumber: id, resourceId: id } : {};
    },
  })
  async create(@Req() req: Request, @Res() res: Response): Promise<Patient> {
    const resource = await this.validated(req, req.body, 'create');
    const ctx = forwardContext(req);
    const ifNoneExist = headerValue(req.headers['if-none-exist']);
    if (ifNoneExist) {
      const found = await findPatients(
        this.platforms,
        conditionQuery(ifNoneExist, PATIENT_SEARCH_PARAMS),
        ctx,
      );
      if (found.hits.length > 1) {
        throw FhirError.of(
          412,
          'duplicate',
          'conditional-create.multiple-matches',
          `If-None-Exist matched ${found.hits.length} patients`,
        );
      }
      if (found.hits.length === 1) return this.existing(res, found.hits[0]!.patient);
    }
    try {
      const r = await this.platforms.call(
        this.platforms.patients.registerPatient,
        {
          patient: patientDetailsFromFhir(resource),
          overrideDuplicates: false,
          overrideReason: '',
        },
        ctx,
      );
      const patient = patientToFhir(r.patient!);
      return sendFhir(res, 201, patient, {
        ...versionHeaders(patient),
        Location: `${this.base}/Patient/${patient.id}/_history/${patient.meta?.versionId ?? '1'}`,
      });
    } catch (err) {
      if (!(err instanceof PlatformCallError)) throw err;
      if (err.decoded.code === GrpcStatus.ALREADY_EXISTS) {
        const candidates = err.decoded.fieldViolations
          .map((v) => /candidate (\d{10})/.exec(v.message ?? '')?.[1])
          .filter((x): x is string => x !== undefined);
        const single = err.decoded.fieldViolations.some((v) => v.rule === 'duplicate.single-match');
        if (ifNoneExist && single && candidates.length === 1) {
          // a concurrent identical create won the race: answer the record it created (one patient)
          const r = await this.call(
            this.platforms.patients.getPatient,
            { nhsNumber: candidates[0] },
            ctx,
          );
          return this.existing(res, patientToFhir(r.patient!));
        }
        throw new FhirError(
          ifNoneExist ? 412 : 409,
          (candidates.length ? candidates : ['?']).map((c) => ({
            severity: 'error',
            code: 'duplicate',
            rule: single ? 'identity.duplicate.single-match' : 'identity.duplicate.multiple-match',
            expression: 'Patient',
            message: `likely duplicate of Patient/${c}`,
          })),
        );
      }
      throw fhirErrorFromPlatform(err.decoded, 'Patient', patientFieldPath);
    }
  }

  private existing(res: Response, patient: Patient): Patient {
    return sendFhir(res, 200, patient, {
      ...versionHeaders(patient),
      'Content-Location': `${this.base}/Patient/${patient.id}/_history/${patient.meta?.versionId ?? '1'}`,
    });
  }

  @FhirRoute({
    method: 'PUT',
    path: 'Patient/:id',
    resource: 'Patient',
    platform: 'identity',
    interaction: 'update',
    scope: 'system/Patient.u',
    patientData: true,
    summary:
      'Update a patient (If-Match W/"<version>" required: 428 without, 412 when stale); a new deceasedDateTime records the death',
  })
  async update(@Req() req: Request, @Res() res: Response): Promise<Patient> {
    const id = this.requireNhs(String(req.params['id']));
    const expected = requiredIfMatch(req.headers['if-match'], 'a patient');
    const resource = await this.validated(req, req.body, 'update', id);
    const ctx = forwardContext(req);
    const current = await this.currentAt(id, expected, ctx);
    return this.commit(req, res, resource, current, ctx);
  }

  @FhirRoute({
    method: 'PATCH',
    path: 'Patient/:id',
    resource: 'Patient',
    platform: 'identity',
    interaction: 'patch',
    scope: 'system/Patient.u',
    patientData: true,
    summary:
      'Patch a patient with an RFC 6902 JSON Patch (application/json-patch+json; If-Match W/"<version>" required: 428 without, 412 when stale); id, resourceType and meta cannot be patched, a failed test or unresolvable path is 422, the result is validated as an update body',
  })
  async patch(@Req() req: Request, @Res() res: Response): Promise<Patient> {
    const id = this.requireNhs(String(req.params['id']));
    const expected = requiredIfMatch(req.headers['if-match'], 'a patient');
    const ctx = forwardContext(req);
    const current = await this.currentAt(id, expected, ctx);
    const patched = applyPatientPatch(patientToFhir(current.patient!), req.body);
    const resource = await this.validated(req, patched, 'update', id);
    return this.commit(req, res, resource, current, ctx);
  }

  /** The current record, when it is the version the change is based on (412 otherwise). */
  private async currentAt(
    id: string,
    expected: number,
    ctx: ForwardContext,
  ): Promise<identity.v1.GetPatientResponse> {
    const current = await this.call(this.platforms.patients.getPatient, { nhsNumber: id }, ctx);
    if (current.superseded) {
      throw FhirError.of(
        422,
        'business-rule',
        'patient.superseded',
        `Patient/${id} was merged into Patient/${current.patient!.nhsNumber}; update the survivor`,
      );
    }
    if (expected !== current.patient!.version) {
      throw FhirError.of(
        412,
        'conflict',
        'http.precondition-failed',
        `If-Match version ${expected} is stale (current ${current.patient!.version})`,
        undefined,
        { ETag: `W/"${current.patient!.version}"` },
      );
    }
    return current;
  }

  /** One UpdatePatient from a validated body; the platform re-checks the version under its lock. */
  private async commit(
    req: Request,
    res: Response,
    resource: Patient,
    current: identity.v1.GetPatientResponse,
    ctx: ForwardContext,
  ): Promise<Patient> {
    const id = current.patient!.nhsNumber;
    const version = current.patient!.version;
    // a death travels with the demographics in one UpdatePatient (one identity transaction)
    const deathIssues = patientDeathIssues(resource, current.patient!);
    if (deathIssues.length > 0) {
      await this.conformance.record(
        callerOf(req),
        'Patient',
        'update',
        422,
        deathIssues,
        ctx.correlationId,
      );
      throw new FhirError(422, deathIssues);
    }
    try {
      const r = await this.platforms.call(
        this.platforms.patients.updatePatient,
        {
          nhsNumber: id,
          expectedVersion: version,
          changes: patientChangesFromFhir(resource, current.patient!),
        },
        ctx,
      );
      const patient = patientToFhir(r.patient!);
      return sendFhir(res, 200, patient, versionHeaders(patient));
    } catch (err) {
      if (err instanceof PlatformCallError && err.decoded.code === GrpcStatus.ABORTED) {
        throw FhirError.of(
          412,
          'conflict',
          'http.precondition-failed',
          'the record changed since the version in If-Match',
        );
      }
      if (err instanceof PlatformCallError)
        throw fhirErrorFromPlatform(err.decoded, 'Patient', patientFieldPath);
      throw err;
    }
  }

  /** Validates the body at the chokepoint; a refusal is counted per system and rule. */
  private async validated(
    req: Request,
    body: unknown,
    mode: 'create' | 'update',
    id?: string,
  ): Promise<Patient> {
    const result = validateFhirResource(body, {
      resourceType: 'Patient',
      mode,
      ...(id ? { id } : {}),
    });
    const issues = [...result.issues];
    if (mode === 'update' && id && result.status !== 400) {
      const nhs = (body as Patient).identifier?.find((i) => i.system === NHS_NUMBER_SYSTEM)?.value;
      if (nhs !== undefined && nhs !== id) {
        issues.push({
          severity: 'error',
          code: 'invalid',
          rule: 'fhir.id-mismatch',
          expression: 'Patient.identifier',
          message: `NHS number ${nhs} does not match the URL id ${id}`,
        });
      }
    }
    if (issues.length === 0) return body as Patient;
    const status = result.valid ? 400 : result.status;
    await this.conformance.record(
      callerOf(req),
      'Patient',
      mode,
      status,
      issues,
      forwardContext(req).correlationId,
    );
    throw new FhirError(status, issues);
  }
}
