import { Controller, Inject, Req, Res, UseFilters } from '@nestjs/common';
import { requireCaller } from '@trellis/auth';
import { FhirError, operationOutcome } from '@trellis/fhir';
import type { Request, Response } from 'express';

import { FHIR_CONFIG, type FhirConfig } from '../fhir.config';
import { FhirExceptionFilter, sendFhir } from '../fhir.http';
import { FHIR_PREFIX, FhirRoute } from '../fhir.registry';
import { GROUP_EXPORT, kickOffGroupExport } from '../operations/group-export';
import { ServeOperation } from '../operations/fhir-operation';
import { kickOffSystemExport, SYSTEM_EXPORT } from '../operations/system-export';
import { ExportJobs, TOO_COSTLY } from './export.jobs';
import { EXPORT_SCOPE, NDJSON } from './export.kick-off';

const notFound = () =>
  FhirError.of(404, 'not-found', 'export.not-found', 'no such export job of this client');

/**
 * FHIR Bulk Data Access `$export` (async pattern): kick-off (system level for the national
 * operator, Group/region-<r> for a region's authority: declared and handled in their operation
 * files, operations/system-export.ts and group-export.ts), status polling, cancel and NDJSON files.
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
  systemExport(@Req() req: Request, @Res() res: Response): Promise<void> {
    return kickOffSystemExport({ jobs: this.jobs, config: this.config }, req, res);
  }

  @ServeOperation(GROUP_EXPORT)
  groupExport(@Req() req: Request, @Res() res: Response): Promise<void> {
    return kickOffGroupExport({ jobs: this.jobs, config: this.config }, req, res);
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
}
