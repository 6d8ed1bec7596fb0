import { Controller, Inject, Req, Res, UseFilters } from '@nestjs/common';
import { isNationalOperator, mayActInRegion, requireCaller, scopeSatisfies } from '@trellis/auth';
import { FhirError, operationOutcome } from '@trellis/fhir';
import { isRegion } from '@trellis/service-kit';
import type { Request, Response } from 'express';

import { backendConnected, FHIR_CONFIG, type FhirConfig } from '../fhir.config';
import { FhirExceptionFilter, sendFhir } from '../fhir.http';
import { FHIR_PREFIX, FhirRoute } from '../fhir.registry';
import { GROUP_EXPORT } from '../operations/group-export';
import { ServeOperation } from '../operations/fhir-operation';
import { SYSTEM_EXPORT } from '../operations/system-export';
import { EXPORT_TYPES, ExportJobs, TOO_COSTLY, type ExportType } from './export.jobs';
import { EXPORT_SCOPE, NDJSON } from './export.kick-off';
import { EXPORT_PLATFORM } from './export.sources';

const OUTPUT_FORMATS = new Set([NDJSON, 'application/ndjson', 'ndjson']);
const GROUP_ID = /^region-([a-z-]{2,40})$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

const bad = (rule: string, message: string, expression?: string) =>
  FhirError.of(400, 'invalid', rule, message, expression);
const notFound = () =>
  FhirError.of(404, 'not-found', 'export.not-found', 'no such export job of this client');

/**
 * FHIR Bulk Data Access `$export` (async pattern): kick-off (system level for the national
 * operator, Group/region-<r> for a region's authority), status polling, cancel and NDJSON files.
 * Jobs and files live in the gateway's schema and are run by ExportWorker; a job is visible to the
 * client that kicked it off only (any other: 404). Kick-off and every file download are
 * access-audited (patient data); the status is not.
 */
@Controller(FHIR_PREFIX)
@UseFilters(FhirExceptionFilter)
export class ExportFhirController {
  constructor(
    private readonly jobs: ExportJobs,
    @Inject(FHIR_CONFIG) private readonly config: FhirConfig,
  ) {}

  @ServeOperation(SYSTEM_EXPORT)
  async systemExport(@Req() req: Request, @Res() res: Response): Promise<void> {
    const caller = requireCaller(req);
    if (!isNationalOperator(caller))
      throw FhirError.of(
        403,
        'forbidden',
        'export.national-only',
        'system-level $export is for the national operator; a regional authority exports Group/region-<region>',
      );
    await this.kickOff(req, res, undefined);
  }

  @ServeOperation(GROUP_EXPORT)
  async groupExport(@Req() req: Request, @Res() res: Response): Promise<void> {
    const id = String(req.params['id']);
    const region = GROUP_ID.exec(id)?.[1];
    if (!region || !isRegion(region))
      throw FhirError.of(
        404,
        'not-found',
        'export.group-unknown',
        `Group/${id.slice(0, 64)} not found`,
      );
    if (!mayActInRegion(requireCaller(req), region, 'population.read'))
      throw FhirError.of(
        403,
        'forbidden',
        'export.not-your-region',
        `not an authority of ${region}`,
      );
    await this.kickOff(req, res, region);
  }

  @FhirRoute({
    method: 'GET',
    path: '$export-status/:id',
    platform: 'identity',
    interaction: 'operation',
    scope: EXPORT_SCOPE,
    summary: 'Status of a bulk export job (202 in progress, 200 manifest)',
  })
  async status(@Req() req: Request, @Res() res: Response): Promise<void> {
    const job = await this.jobs.ofOwner(String(req.params['id']), requireCaller(req).systemId);
    if (!job || job.status === 'cancelled') throw notFound();
    if (job.status === 'queued' || job.status === 'running') {
      res.status(202);
      res.setHeader('X-Progress', `${job.status}: ${job.resourcesDone} resources`);
      res.setHeader('Retry-After', '2');
      res.end();
      return;
    }
    if (job.status === 'failed' && job.error?.startsWith(TOO_COSTLY))
      throw FhirError.of(422, 'too-costly', 'export.too-large', job.error);
    if (job.status === 'failed')
      throw FhirError.of(500, 'exception', 'export.failed', `export failed: ${job.error ?? ''}`);
    const base = `${this.config.publicUrl}/${FHIR_PREFIX}`;
    const files = await this.jobs.files(job.id);
    sendFhir(
      res,
      200,
      {
        transactionTime: job.transactionTime.toISOString(),
        request: job.request,
        requiresAccessToken: true,
        output: files.map((f) => ({
          type: f.type,
          url: `${base}/$export-file/${job.id}/${f.seq}`,
          count: f.count,
        })),
        error: [],
      },
      { Expires: job.expiresAt.toUTCString() },
    );
  }

  @FhirRoute({
    method: 'DELETE',
    path: '$export-status/:id',
    platform: 'identity',
    interaction: 'operation',
    scope: EXPORT_SCOPE,
    summary: 'Cancel a bulk export job (its files are deleted)',
  })
  async cancel(@Req() req: Request, @Res() res: Response): Promise<void> {
    const job = await this.jobs.ofOwner(String(req.params['id']), requireCaller(req).systemId);
    if (!job || job.status === 'cancelled') throw notFound();
    await this.jobs.cancel(job.id);
    sendFhir(
      res,
      202,
      operationOutcome([
        {
          severity: 'information',
          code: 'informational',
          rule: 'export.cancelled',
          message: `export ${job.id} cancelled; its files are deleted`,
        },
      ]),
    );
  }

  @FhirRoute({
    method: 'GET',
    path: '$export-file/:id/:seq',
    platform: 'identity',
    interaction: 'operation',
    scope: EXPORT_SCOPE,
    patientData: true,
    subject: () => ({}),
    summary: 'One NDJSON file of a completed bulk export',
  })
  async file(@Req() req: Request, @Res() res: Response): Promise<void> {
    const job = await this.jobs.ofOwner(String(req.params['id']), requireCaller(req).systemId);
    const seq = Number(req.params['seq']);
    if (!job || job.status !== 'completed' || !Number.isInteger(seq) || seq < 1) throw notFound();
    const f = await this.jobs.file(job.id, seq);
    if (!f) throw notFound();
    res.status(200);
    res.setHeader('Content-Type', NDJSON);
    res.send(f.ndjson);
  }

  /** 429 with Retry-After while the retained export files are at or over their cap. */
  private async checkRetained(): Promise<void> {
    const r = await this.jobs.retained();
    if (r.bytes < this.config.exportMaxRetainedBytes) return;
    const wait = r.nextExpiry ? Math.ceil((r.nextExpiry.getTime() - Date.now()) / 1000) : 60;
    const retryAfter = Math.min(Math.max(wait, 1), Math.ceil(this.config.exportTtlMs / 1000));
    throw FhirError.of(
      429,
      'throttled',
      'export.storage-full',
      `retained export files are at their cap (${this.config.exportMaxRetainedBytes} bytes); retry after ${retryAfter} s, when the oldest export expires, or DELETE a finished one`,
      undefined,
      { 'Retry-After': String(retryAfter) },
    );
  }

  private async kickOff(req: Request, res: Response, region: string | undefined): Promise<void> {
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
    const served = EXPORT_TYPES.filter((t) => backendConnected(this.config, EXPORT_PLATFORM[t]));
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
    await this.checkRetained();
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
    const job = await this.jobs.create({
      ownerSystemId: caller.systemId,
      ...(caller.userId ? { ownerUserId: caller.userId } : {}),
      scopes: caller.scopes,
      ownerOdsCode: caller.odsCode,
      ownerRegion: caller.region,
      ...(region ? { region } : {}),
      types: [...new Set(types)] as ExportType[],
      ...(since ? { since } : {}),
      request: `${this.config.publicUrl}${req.originalUrl}`,
      ttlMs: this.config.exportTtlMs,
    });
    res.status(202);
    res.setHeader(
      'Content-Location',
      `${this.config.publicUrl}/${FHIR_PREFIX}/$export-status/${job.id}`,
    );
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
}
