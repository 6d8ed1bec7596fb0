import { Controller, Get, Inject, Logger, Optional, Req, Res, UseFilters } from '@nestjs/common';
import { conformance, toTimestamp } from '@trellis/contracts';
import { FhirError, fhirErrorFromPlatform, validateFhirResource } from '@trellis/fhir';
import type { Request, Response } from 'express';

import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { FhirExceptionFilter, forwardContext, sendFhir } from '../fhir/fhir.http';
import {
  SCORECARD_MEASURE_ID,
  scorecardMeasure,
  scorecardToMeasureReport,
  searchsetOf,
} from './measure-report';
import { SCORECARDS_CLIENT, ScorecardCallError, type ScorecardsClient } from './scorecards.client';
import { parseScorecardQuery } from './scorecards.query';

/** The policy version the Measure names (the conformance service reports the one in force). */
export const MEASURE_POLICY_VERSION = 'conformance-policy-1';

/**
 * Scorecards at the FHIR facade: `GET /fhir/MeasureReport?subject=Device/<system>|Group/<product
 * version>&period=ge…&period=lt…` (one MeasureReport per subject and period, from the conformance
 * service, with the caller's token: the operator reads any card, a system its own and its product
 * version's) and `GET /fhir/Measure/<id>` (the scorecard definition). Every MeasureReport is
 * checked by the FHIR validator before it leaves.
 */
@Controller('fhir')
@UseFilters(FhirExceptionFilter)
export class ScorecardsFhirController {
  private readonly logger = new Logger('Scorecards');

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Optional() @Inject(SCORECARDS_CLIENT) private readonly client?: ScorecardsClient,
  ) {}

  @Get('MeasureReport')
  async search(@Req() req: Request, @Res() res: Response): Promise<void> {
    const client = this.client;
    if (!client)
      throw FhirError.of(
        404,
        'not-supported',
        'fhir.not-supported',
        'scorecards are not served by this gateway',
      );
    const q = parseScorecardQuery(req.originalUrl, new Date());
    const ctx = forwardContext(req);
    let card: conformance.v1.Scorecard | undefined;
    try {
      card = (
        await client.getScorecard(
          {
            subjectKind:
              q.subject.kind === 'system'
                ? conformance.v1.SubjectKind.SUBJECT_KIND_SYSTEM
                : conformance.v1.SubjectKind.SUBJECT_KIND_PRODUCT_VERSION,
            subjectId: q.subject.id,
            periodStart: toTimestamp(q.start),
            periodEnd: toTimestamp(q.end),
            topRules: 10,
          },
          {
            ...(ctx.authorization ? { authorization: ctx.authorization } : {}),
            ...(ctx.traceparent ? { traceparent: ctx.traceparent } : {}),
            ...(ctx.correlationId ? { correlationId: ctx.correlationId } : {}),
          },
        )
      ).scorecard;
    } catch (err) {
      if (!(err instanceof ScorecardCallError)) throw err;
      // a subject that never sent traffic is an empty search, not an error
      if (err.decoded.code === 5) card = undefined;
      else throw fhirErrorFromPlatform(err.decoded, 'MeasureReport');
    }
    const self = `${this.config.publicUrl}${req.originalUrl}`;
    const reports = card ? [scorecardToMeasureReport(card, this.config.publicUrl, new Date())] : [];
    for (const report of reports) {
      const { issues } = validateFhirResource(report);
      if (issues.length > 0) {
        this.logger.error(
          `MeasureReport failed validation: ${issues.map((i) => i.message).join('; ')}`,
        );
        throw FhirError.of(
          500,
          'exception',
          'fhir.outbound-invalid',
          'scorecard could not be rendered',
        );
      }
    }
    sendFhir(res, 200, searchsetOf(reports, self));
  }

  @Get('Measure/:id')
  measure(@Req() req: Request, @Res() res: Response): void {
    if (req.params['id'] !== SCORECARD_MEASURE_ID)
      throw FhirError.of(
        404,
        'not-found',
        'fhir.not-found',
        `Measure/${String(req.params['id']).slice(0, 64)} not found`,
      );
    sendFhir(res, 200, scorecardMeasure(this.config.publicUrl, MEASURE_POLICY_VERSION));
  }
}
