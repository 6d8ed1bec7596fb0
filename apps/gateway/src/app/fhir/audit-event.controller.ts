import { Controller, Req, Res, UseFilters } from '@nestjs/common';
import type { AuditEvent, Bundle } from '@medplum/fhirtypes';
import { type AuditSubject, type AuditSubjectExtractor } from '@trellis/auth';
import { audit, toTimestamp } from '@trellis/contracts';
import {
  auditEventToFhir,
  CONNECTED_SYSTEM_ID_SYSTEM,
  FhirError,
  NHS_NUMBER_SYSTEM,
  ODS_ORGANISATION_SYSTEM,
  validateNhsNumber,
} from '@trellis/fhir';
import type { Request, Response } from 'express';

import { FhirExceptionFilter, forwardContext, sendFhir } from './fhir.http';
import { FHIR_PREFIX, FhirRoute, type FhirSearchParam } from './fhir.registry';
import { bundle, countParam, queryParams, selfUrl } from './fhir.support';
import { auditReadSubject } from './audit-subjects';
import { AUDITEVENT_FLAG, flagAuditEvent } from './operations/auditevent-flag';
import { ServeOperation } from './operations/fhir-operation';
import { PlatformFhirController } from './platform-fhir.controller';

export const AUDIT_EVENT_SEARCH_PARAMS: FhirSearchParam[] = [
  {
    name: 'patient',
    type: 'reference',
    and: true,
    documentation: `The patient whose record was accessed: <NHS number>, Patient/<NHS number> or ${NHS_NUMBER_SYSTEM}|<NHS number>`,
  },
  {
    name: 'entity',
    type: 'reference',
    and: true,
    documentation: 'What was accessed: Patient/<NHS number> (the same as patient)',
  },
  {
    name: 'date',
    type: 'date',
    and: true,
    documentation:
      'When (AuditEvent.recorded): [ge|gt|le|lt|eq]YYYY[-MM[-DD[Thh:mm[:ss]Z]]], repeat for a range',
  },
  {
    name: 'agent',
    type: 'reference',
    documentation: `Who: Organization/<ODS code> (${ODS_ORGANISATION_SYSTEM}|<ODS code>) or Device/<connected-system id> (${CONNECTED_SYSTEM_ID_SYSTEM}|<id>)`,
  },
  { name: 'action', type: 'token', documentation: 'C | R | U | D | E' },
  {
    name: 'outcome',
    type: 'token',
    documentation: '0 success | 4 minor failure (refused) | 8 serious failure | 12 major failure',
  },
  { name: '_count', type: 'number', documentation: 'Page size (capped by the server, default 50)' },
];
const SERVED = new Set([...AUDIT_EVENT_SEARCH_PARAMS.map((p) => p.name), '_page_token', '_format']);

const bad = (rule: string, message: string, expression: string) =>
  FhirError.of(400, 'invalid', rule, message, expression);

/** NHS number of a patient reference: <nhs>, Patient/<nhs>, <base>/Patient/<nhs> or system|nhs. */
function patientOf(value: string): string | undefined {
  const m = /^(?:(?:https?:\/\/[^?#]+\/)?Patient\/)?([0-9]{10})$/.exec(value);
  if (m) return m[1];
  const [system, v] = value.split('|', 2);
  return system === NHS_NUMBER_SYSTEM ? v : undefined;
}

/** The patient named by `patient` or `entity` (both, when given, must agree). */
function requestedPatient(params: Map<string, string[]>): string | undefined {
  const named = [...(params.get('patient') ?? []), ...(params.get('entity') ?? [])];
  let nhs: string | undefined;
  for (const raw of named) {
    const p = patientOf(raw);
    if (!p || !validateNhsNumber(p).valid)
      throw bad(
        'search.patient',
        `${raw}: expected <NHS number>, Patient/<NHS number> or ${NHS_NUMBER_SYSTEM}|<NHS number>`,
        params.has('patient') ? 'patient' : 'entity',
      );
    if (nhs && nhs !== p)
      throw bad('search.patient', 'patient and entity name two patients', 'patient');
    nhs = p;
  }
  return nhs;
}

/** The audit subject of an AuditEvent search: the patient whose log is read. */
export const auditSearchSubject: AuditSubjectExtractor = (req): AuditSubject => {
  try {
    const nhs = requestedPatient(queryParams(req as Request));
    return nhs ? { nhsNumber: nhs } : {};
  } catch {
    return {};
  }
};

/** date=[prefix]value values ANDed into [from, to). */
function dateRange(values: readonly string[]): { from?: Date; to?: Date } {
  let from: Date | undefined;
  let to: Date | undefined;
  for (const raw of values) {
    const m =
      /^(eq|ge|gt|le|lt)?(\d{4}(?:-\d{2}(?:-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))?)?)?)$/.exec(
        raw,
      );
    const v = m?.[2];
    if (!m || !v) throw bad('search.date', `date=${raw}: expected [ge|gt|le|lt|eq]<date>`, 'date');
    const start = new Date(
      v.length === 4
        ? `${v}-01-01T00:00:00Z`
        : v.length === 7
          ? `${v}-01T00:00:00Z`
          : v.length === 10
            ? `${v}T00:00:00Z`
            : v,
    );
    if (Number.isNaN(start.getTime()))
      throw bad('search.date', `date=${raw} is not a date`, 'date');
    const end = new Date(start);
    if (v.length === 4) end.setUTCFullYear(end.getUTCFullYear() + 1);
    else if (v.length === 7) end.setUTCMonth(end.getUTCMonth() + 1);
    else if (v.length === 10) end.setUTCDate(end.getUTCDate() + 1);
    else end.setUTCSeconds(end.getUTCSeconds() + 1);
    const later = (a: Date | undefined, b: Date) => (a && a > b ? a : b);
    const earlier = (a: Date | undefined, b: Date) => (a && a < b ? a : b);
    const prefix = m[1] ?? 'eq';
    if (prefix === 'eq') [from, to] = [later(from, start), earlier(to, end)];
    else if (prefix === 'ge') from = later(from, start);
    else if (prefix === 'gt') from = later(from, end);
    else if (prefix === 'le') to = earlier(to, end);
    else to = earlier(to, start);
  }
  return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
}

/** agent=Organization/<ODS>, Device/<system id> or <system>|<value> → the store's filter. */
function agentFilter(values: readonly string[]): { odsCode?: string; systemId?: string } {
  const out: { odsCode?: string; systemId?: string } = {};
  for (const raw of values) {
    const [system, value] = raw.includes('|') ? raw.split('|', 2) : [undefined, raw];
    const org = /^Organization\/([A-Z0-9]{3,10})$/.exec(raw)?.[1];
    const device = /^Device\/([A-Za-z0-9._-]{1,100})$/.exec(raw)?.[1];
    if (org || system === ODS_ORGANISATION_SYSTEM) out.odsCode = org ?? value;
    else if (device || system === CONNECTED_SYSTEM_ID_SYSTEM) out.systemId = device ?? value;
    else
      throw bad(
        'search.agent',
        `agent=${raw}: expected Organization/<ODS code> or Device/<connected-system id>`,
        'agent',
      );
  }
  return out;
}

function token(params: Map<string, string[]>, name: string, allowed: readonly string[]): string {
  const v = params.get(name)?.[0];
  if (v === undefined) return '';
  if (!allowed.includes(v))
    throw bad(`search.${name}`, `${name}=${v}: expected one of ${allowed.join(', ')}`, name);
  return v;
}

/**
 * FHIR AuditEvent over the audit store: who looked at a patient's record (IHE BALP shape).
 * The national operator reads every record, a local system only its own organisation's
 * accesses, a citizen only the accesses to their own record — decided by the audit store with
 * the caller's token, like every platform's domain rules.
 */
@Controller(FHIR_PREFIX)
@UseFilters(FhirExceptionFilter)
export class AuditEventFhirController extends PlatformFhirController {
  @FhirRoute({
    method: 'GET',
    path: 'AuditEvent',
    resource: 'AuditEvent',
    platform: 'audit',
    interaction: 'search-type',
    scope: 'system/AuditEvent.s',
    patientData: true,
    patientAccess: true,
    subject: auditSearchSubject,
    searchParams: AUDIT_EVENT_SEARCH_PARAMS,
    summary: 'Who accessed patient data: search the access audit, newest first (paged, total)',
  })
  async search(@Req() req: Request, @Res() res: Response): Promise<Bundle> {
    const params = queryParams(req);
    const unknown = [...params.keys()].filter((k) => !SERVED.has(k));
    if (unknown.length)
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
    const count = countParam(params, 50, this.config.maxCount);
    const patient = requestedPatient(params);
    const { from, to } = dateRange(params.get('date') ?? []);
    const request: audit.v1.SearchAccessEventsRequest = {
      patientNhsNumber: patient ?? '',
      ...(from ? { from: toTimestamp(from) } : {}),
      ...(to ? { to: toTimestamp(to) } : {}),
      odsCode: '',
      systemId: '',
      ...agentFilter(params.get('agent') ?? []),
      action: token(params, 'action', ['C', 'R', 'U', 'D', 'E']),
      outcome: token(params, 'outcome', ['0', '4', '8', '12']),
      page: { pageSize: Math.max(count, 1), pageToken: params.get('_page_token')?.[0] ?? '' },
      excludePatientOwn: false,
    };
    const r = await this.call(
      this.platforms.audit.searchAccessEvents,
      request,
      forwardContext(req),
      'AuditEvent',
    );
    const entries = (count === 0 ? [] : r.events).map((e) => {
      const resource = auditEventToFhir(e);
      return {
        fullUrl: `${this.base}/AuditEvent/${resource.id}`,
        resource,
        search: { mode: 'match' as const },
      };
    });
    const next = r.page?.nextPageToken
      ? `${this.base}/AuditEvent?${nextQuery(params, r.page.nextPageToken)}`
      : undefined;
    return sendFhir(
      res,
      200,
      bundle(
        'searchset',
        entries,
        { self: selfUrl(this.config.publicUrl, req), ...(next ? { next } : {}) },
        r.page?.total ?? undefined,
      ),
    );
  }

  @FhirRoute({
    method: 'GET',
    path: 'AuditEvent/:id',
    resource: 'AuditEvent',
    platform: 'audit',
    interaction: 'read',
    scope: 'system/AuditEvent.r',
    patientData: true,
    patientAccess: true,
    subject: auditReadSubject,
    summary: 'One recorded access (404 when unknown or not yours to see)',
  })
  async read(@Req() req: Request, @Res() res: Response): Promise<AuditEvent> {
    const r = await this.call(
      this.platforms.audit.getAccessEvent,
      { auditId: String(req.params['id']) },
      forwardContext(req),
      'AuditEvent',
    );
    return sendFhir(res, 200, auditEventToFhir(r.event!));
  }

  @ServeOperation(AUDITEVENT_FLAG)
  flag(@Req() req: Request, @Res() res: Response): Promise<AuditEvent> {
    return flagAuditEvent(this.operation, req, res);
  }
}

function nextQuery(params: Map<string, string[]>, pageToken: string): string {
  const q = new URLSearchParams();
  for (const [k, values] of params) {
    if (k === '_page_token') continue;
    for (const v of values) q.append(k, v);
  }
  q.append('_page_token', pageToken);
  return q.toString();
}
