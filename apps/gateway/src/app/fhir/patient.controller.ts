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
import type { Request, Response } from 'express';

import { ConformanceRecorder } from './conformance';
import { FHIR_CONFIG, type FhirConfig } from './fhir.config';
import { FhirExceptionFilter, forwardContext, sendFhir } from './fhir.http';
import { FHIR_PREFIX, FhirRoute, type FhirSearchParam } from './fhir.registry';
import {
  bundle,
  countParam,
  parseQueryString,
  queryParams,
  selfUrl,
  requiredIfMatch,
  versionHeaders,
  headerValue,
} from './fhir.support';
import { PLATFORM_CLIENTS } from './fhir.tokens';
import { PlatformCallError, type ForwardContext, type PlatformClients } from './platform-clients';

const SVC = 'trellis.identity.v1.PatientService';
const G = identity.v1.Gender;

export const PATIENT_SEARCH_PARAMS: FhirSearchParam[] = [
  {
    name: 'identifier',
    type: 'token',
    documentation: `${NHS_NUMBER_SYSTEM}|<NHS number>: exact lookup (a merged number answers the survivor)`,
  },
  {
    name: 'family',
    type: 'string',
    documentation: 'Family name (phonetic and fuzzy matching unless _fuzzy-match=false)',
  },
  { name: 'given', type: 'string', documentation: 'Given name' },
  { name: 'gender', type: 'token', documentation: 'male | female | other | unknown' },
  {
    name: 'birthdate',
    type: 'date',
    documentation: 'YYYY-MM-DD, or a range with ge/le prefixes (repeat the parameter)',
  },
  {
    name: 'address-postalcode',
    type: 'string',
    documentation: 'Full or partial (outward) UK postcode',
  },
  {
    name: 'general-practitioner',
    type: 'token',
    documentation: 'ODS code of the registered practice',
  },
  {
    name: '_fuzzy-match',
    type: 'token',
    documentation: 'false = exact matching only (default true)',
  },
  { name: '_min-score', type: 'number', documentation: 'Minimum match score 0..1 of a hit' },
  { name: '_count', type: 'number', documentation: 'Page size (capped by the server, default 10)' },
];

const GENDERS: Record<string, identity.v1.Gender> = {
  male: G.GENDER_MALE,
  female: G.GENDER_FEMALE,
  other: G.GENDER_OTHER,
  unknown: G.GENDER_UNKNOWN,
};

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

  private call<Res>(method: string, req: unknown, ctx: ForwardContext): Promise<Res> {
    return this.platforms.call<Res>('identity', SVC, method, req, ctx).catch((err: unknown) => {
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
    summary: 'Read a patient by NHS number',
  })
  async read(@Req() req: Request, @Res() res: Response): Promise<Patient> {
    const id = this.requireNhs(String(req.params['id']));
    const r = await this.call<identity.v1.GetPatientResponse>(
      'GetPatient',
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
    if (!/^\d+$/.test(vid))
      throw FhirError.of(
        404,
        'not-found',
        'http.not-found',
        `Patient/${id}/_history/${vid} not found`,
      );
    const r = await this.call<identity.v1.GetPatientVersionResponse>(
      'GetPatientVersion',
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
    const params = queryParams(req);
    const count = countParam(params, 50, this.config.maxCount);
    const token = params.get('_page_token')?.[0] ?? '';
    const r = await this.call<identity.v1.GetPatientHistoryResponse>(
      'GetPatientHistory',
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
    const next = r.page?.nextPageToken
      ? `${this.base}/Patient/${id}/_history?_count=${count}&_page_token=${encodeURIComponent(r.page.nextPageToken)}`
      : undefined;
    return sendFhir(
      res,
      200,
      bundle(
        'history',
        entries,
        { self: selfUrl(this.config.publicUrl, req), ...(next ? { next } : {}) },
        r.page?.total ?? undefined,
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
    summary: 'Search (trace) patients: identifier lookup or demographic trace with scores',
    subject: () => ({}),
  })
  async search(@Req() req: Request, @Res() res: Response): Promise<Bundle> {
    const params = queryParams(req);
    const count = countParam(params, 10, this.config.maxCount);
    const found = await this.find(params, forwardContext(req), count, true);
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
      bundle('searchset', entries, { self: selfUrl(this.config.publicUrl, req) }, found.total),
    );
  }

  /** Identifier lookup or trace; `strict` refuses unknown parameters (400). */
  private async find(
    params: Map<string, string[]>,
    ctx: ForwardContext,
    count: number,
    strict: boolean,
  ): Promise<{ hits: Array<{ patient: Patient; score?: number }>; total: number }> {
    const known = new Set([...PATIENT_SEARCH_PARAMS.map((p) => p.name), '_format']);
    const unknown = [...params.keys()].filter((k) => !known.has(k));
    if (strict && unknown.length) {
      throw new FhirError(
        400,
        unknown.map((k) => ({
          severity: 'error',
          code: 'not-supported',
          rule: 'search.unknown-parameter',
          expression: k,
          message: `unsupported search parameter ${k}`,
        })),
      );
    }
    const identifier = params.get('identifier')?.[0];
    if (identifier !== undefined) {
      const [system, value] = identifier.includes('|')
        ? identifier.split('|', 2)
        : [NHS_NUMBER_SYSTEM, identifier];
      if (system !== NHS_NUMBER_SYSTEM || !validateNhsNumber(value).valid) {
        throw FhirError.of(
          400,
          'invalid',
          system !== NHS_NUMBER_SYSTEM ? 'nhs-number.system' : 'nhs-number.check-digit',
          `identifier must be ${NHS_NUMBER_SYSTEM}|<valid NHS number>`,
          'identifier',
        );
      }
      try {
        const r = await this.platforms.call<identity.v1.GetPatientResponse>(
          'identity',
          SVC,
          'GetPatient',
          { nhsNumber: value },
          ctx,
        );
        return { hits: [{ patient: patientToFhir(r.patient!) }], total: 1 };
      } catch (err) {
        if (err instanceof PlatformCallError && err.decoded.code === GrpcStatus.NOT_FOUND)
          return { hits: [], total: 0 };
        if (err instanceof PlatformCallError)
          throw fhirErrorFromPlatform(err.decoded, 'Patient', patientFieldPath);
        throw err;
      }
    }
    const trace: identity.v1.TracePatientsRequest = {
      family: params.get('family')?.[0] ?? '',
      given: params.get('given')?.[0] ?? '',
      gender: G.GENDER_UNSPECIFIED,
      birthDate: '',
      birthDateFrom: '',
      birthDateTo: '',
      postcode: params.get('address-postalcode')?.[0] ?? '',
      gpOdsCode: (params.get('general-practitioner')?.[0] ?? '').split('|').pop() ?? '',
      mode:
        params.get('_fuzzy-match')?.[0] === 'false'
          ? identity.v1.TraceMode.TRACE_MODE_EXACT
          : identity.v1.TraceMode.TRACE_MODE_FUZZY,
      maxResults: Math.max(1, Math.min(count, 50)),
      minScore: 0,
      singleMatch: false,
    };
    const gender = params.get('gender')?.[0];
    if (gender !== undefined) {
      const g = GENDERS[gender];
      if (g === undefined)
        throw FhirError.of(
          400,
          'invalid',
          'search.gender',
          `gender must be male, female, other or unknown`,
          'gender',
        );
      trace.gender = g;
    }
    const minScore = params.get('_min-score')?.[0];
    if (minScore !== undefined) {
      const n = Number(minScore);
      if (!(n >= 0 && n <= 1))
        throw FhirError.of(
          400,
          'invalid',
          'search.min-score',
          '_min-score must be between 0 and 1',
          '_min-score',
        );
      trace.minScore = n;
    }
    for (const raw of params.get('birthdate') ?? []) {
      const m = /^(eq|ge|le|gt|lt)?(\d{4}-\d{2}-\d{2})$/.exec(raw);
      if (!m)
        throw FhirError.of(
          400,
          'invalid',
          'search.birthdate',
          'birthdate must be [eq|ge|le]YYYY-MM-DD',
          'birthdate',
        );
      const prefix = m[1] ?? 'eq';
      if (prefix === 'eq') trace.birthDate = m[2]!;
      else if (prefix === 'ge' || prefix === 'gt') trace.birthDateFrom = m[2]!;
      else trace.birthDateTo = m[2]!;
    }
    if (count === 0) return { hits: [], total: 0 };
    const r = await this.call<identity.v1.TracePatientsResponse>('TracePatients', trace, ctx);
    return {
      hits: r.hits.map((h) => ({ patient: patientToFhir(h.patient!), score: h.score })),
      total: Math.max(r.totalAboveThreshold, r.hits.length),
    };
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
    const resource = await this.validated(req, 'create');
    const ctx = forwardContext(req);
    const ifNoneExist = headerValue(req.headers['if-none-exist']);
    if (ifNoneExist) {
      const found = await this.find(parseQueryString(ifNoneExist), ctx, 2, false);
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
      const r = await this.platforms.call<identity.v1.RegisterPatientResponse>(
        'identity',
        SVC,
        'RegisterPatient',
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
          const r = await this.call<identity.v1.GetPatientResponse>(
            'GetPatient',
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
    const resource = await this.validated(req, 'update', id);
    const ctx = forwardContext(req);
    const current = await this.call<identity.v1.GetPatientResponse>(
      'GetPatient',
      { nhsNumber: id },
      ctx,
    );
    if (current.superseded) {
      throw FhirError.of(
        422,
        'business-rule',
        'patient.superseded',
        `Patient/${id} was merged into Patient/${current.patient!.nhsNumber}; update the survivor`,
      );
    }
    const version = expected;
    if (version !== current.patient!.version) {
      throw FhirError.of(
        412,
        'conflict',
        'http.precondition-failed',
        `If-Match version ${version} is stale (current ${current.patient!.version})`,
        undefined,
        { ETag: `W/"${current.patient!.version}"` },
      );
    }
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
      const r = await this.platforms.call<identity.v1.UpdatePatientResponse>(
        'identity',
        SVC,
        'UpdatePatient',
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
  private async validated(req: Request, mode: 'create' | 'update', id?: string): Promise<Patient> {
    const result = validateFhirResource(req.body, {
      resourceType: 'Patient',
      mode,
      ...(id ? { id } : {}),
    });
    const issues = [...result.issues];
    if (mode === 'update' && id && result.status !== 400) {
      const nhs = (req.body as Patient).identifier?.find(
        (i) => i.system === NHS_NUMBER_SYSTEM,
      )?.value;
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
    if (issues.length === 0) return req.body as Patient;
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
