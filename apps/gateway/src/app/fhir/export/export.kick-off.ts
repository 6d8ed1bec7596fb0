import { requireCaller, scopeSatisfies } from '@trellis/auth';
import { FhirError, operationOutcome } from '@trellis/fhir';
import type { Request, Response } from 'express';

import { backendConnected, type FhirConfig } from '../fhir.config';
import { sendFhir } from '../fhir.http';
import { FHIR_PREFIX } from '../fhir.registry';
import type { FhirSearchParam } from '../fhir.search';
import { EXPORT_TYPES, type ExportJobs, type ExportType } from './export.jobs';
import { EXPORT_PLATFORM } from './export.sources';

export const NDJSON = 'application/fhir+ndjson';
/** Every $export route: kick-off, status, cancel and files. */
export const EXPORT_SCOPE = 'region/*/population.read';

/** The query a kick-off ($export, Group/:id/$export) is checked against. */
export const KICK_OFF_PARAMS: readonly FhirSearchParam[] = [
  {
    name: '_type',
    type: 'token',
    or: true,
    documentation: `Resource types to export, comma-separated (served: ${EXPORT_TYPES.join(', ')}, each needing system/<type>.r); default every served type the caller may read`,
  },
  {
    name: '_since',
    type: 'string',
    documentation: 'Only resources changed at or after this FHIR instant',
  },
  {
    name: '_outputFormat',
    type: 'string',
    documentation: `${NDJSON} (default), application/ndjson or ndjson`,
  },
];

/** The kick-off's parameters as its OperationDefinitions declare them. */
export const KICK_OFF_PARAMETERS = [
  { name: '_type', use: 'in', min: 0, max: '*', documentation: 'Types', type: 'string' },
  { name: '_since', use: 'in', min: 0, max: '1', documentation: 'Changed since', type: 'instant' },
  { name: '_outputFormat', use: 'in', min: 0, max: '1', documentation: NDJSON, type: 'string' },
] as const;

/** What a kick-off uses: the export jobs and the gateway's FHIR configuration. */
export interface ExportContext {
  readonly jobs: ExportJobs;
  readonly config: FhirConfig;
}

const OUTPUT_FORMATS = new Set([NDJSON, 'application/ndjson', 'ndjson']);
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

const bad = (rule: string, message: string, expression?: string) =>
  FhirError.of(400, 'invalid', rule, message, expression);

/** 429 with Retry-After while the retained export files are at or over their cap. */
async function checkRetained({ jobs, config }: ExportContext): Promise<void> {
  const r = await jobs.retained();
  if (r.bytes < config.exportMaxRetainedBytes) return;
  const wait = r.nextExpiry ? Math.ceil((r.nextExpiry.getTime() - Date.now()) / 1000) : 60;
  const retryAfter = Math.min(Math.max(wait, 1), Math.ceil(config.exportTtlMs / 1000));
  throw FhirError.of(
    429,
    'throttled',
    'export.storage-full',
    `retained export files are at their cap (${config.exportMaxRetainedBytes} bytes); retry after ${retryAfter} s, when the oldest export expires, or DELETE a finished one`,
    undefined,
    { 'Retry-After': String(retryAfter) },
  );
}

/**
 * The kick-off of a bulk export ($export for the whole population, Group/region-<r>/$export for
 * one region, the caller's right to it already decided by the operation): checks the Bulk Data
 * parameters against the served types and the caller's scopes, queues the job and answers 202
 * with the status URL in Content-Location.
 */
export async function kickOffExport(
  ctx: ExportContext,
  req: Request,
  res: Response,
  region: string | undefined,
): Promise<void> {
  const { jobs, config } = ctx;
  const prefer = String(req.headers['prefer'] ?? '');
  if (!/(^|[,;\s])respond-async($|[,;\s])/.test(prefer))
    throw bad('export.prefer-required', 'Prefer: respond-async is required for $export');
  const caller = requireCaller(req);
  const q = req.query;
  const one = (name: string): string | undefined => {
    const v = q[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string')
      throw bad('export.parameter-repeated', `${name} given more than once`, name);
    return v;
  };
  const format = one('_outputFormat');
  if (format !== undefined && !OUTPUT_FORMATS.has(format))
    throw bad(
      'export.output-format',
      `_outputFormat ${format.slice(0, 60)} is not served (${NDJSON})`,
      '_outputFormat',
    );
  const served = EXPORT_TYPES.filter((t) => backendConnected(config, EXPORT_PLATFORM[t]));
  const readable = (t: string) => scopeSatisfies(caller.scopes, `system/${t}.r`);
  const rawTypes = one('_type');
  // without _type: every served type the caller may read (Bulk Data: all it is permitted)
  const types =
    rawTypes === undefined ? served.filter(readable) : rawTypes.split(',').map((t) => t.trim());
  const unknown = types.filter((t) => !(served as readonly string[]).includes(t));
  if (unknown.length || (rawTypes !== undefined && types.length === 0))
    throw bad(
      'export.type-unsupported',
      `_type ${unknown.join(',').slice(0, 100) || '(empty)'} is not exportable (served: ${served.join(', ')})`,
      '_type',
    );
  const missing = rawTypes === undefined ? served : types.filter((t) => !readable(t));
  if (types.length === 0 || (rawTypes !== undefined && missing.length))
    throw FhirError.of(
      403,
      'forbidden',
      'export.type-scope',
      `reading ${missing.join(', ')} needs system/<type>.r`,
    );
  await checkRetained(ctx);
  const sinceRaw = one('_since');
  let since: Date | undefined;
  if (sinceRaw !== undefined) {
    since = new Date(sinceRaw);
    if (!INSTANT.test(sinceRaw) || Number.isNaN(since.getTime()))
      throw bad(
        'export.since',
        '_since must be a FHIR instant (e.g. 2026-12-01T00:00:00Z)',
        '_since',
      );
    if (since.getTime() > Date.now())
      throw bad('export.since-future', '_since is in the future', '_since');
  }
  const job = await jobs.create({
    ownerSystemId: caller.systemId,
    ...(caller.userId ? { ownerUserId: caller.userId } : {}),
    scopes: caller.scopes,
    ownerOdsCode: caller.odsCode,
    ownerRegion: caller.region,
    ...(region ? { region } : {}),
    types: [...new Set(types)] as ExportType[],
    ...(since ? { since } : {}),
    request: `${config.publicUrl}${req.originalUrl}`,
    ttlMs: config.exportTtlMs,
  });
  res.status(202);
  res.setHeader('Content-Location', `${config.publicUrl}/${FHIR_PREFIX}/$export-status/${job.id}`);
  sendFhir(
    res,
    202,
    operationOutcome([
      {
        severity: 'information',
        code: 'informational',
        rule: 'export.accepted',
        message: `export ${job.id} accepted`,
      },
    ]),
  );
}
