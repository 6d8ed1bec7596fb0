import { Controller, Inject, Logger, Optional, Req, Res, UseFilters } from '@nestjs/common';
import { conformance, toTimestamp } from '@trellis/contracts';
import { FhirError, fhirErrorFromPlatform, validateFhirResource } from '@trellis/fhir';
import type { Request, Response } from 'express';

import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { FhirExceptionFilter, forwardContext, sendFhir } from '../fhir/fhir.http';
import { FHIR_PREFIX, FhirRoute } from '../fhir/fhir.registry';
import { droppedOutcome, searchOf } from '../fhir/fhir.search';
import { bundle } from '../fhir/fhir.support';
import { SCORECARD_MEASURE_ID, scorecardMeasure, scorecardToMeasureReport } from './measure-report';
import { SCORECARDS_CLIENT, ScorecardCallError, type ScorecardsClient } from './scorecards.client';
import { MEASURE_REPORT_SEARCH_PARAMS, scorecardQueryOf } from './scorecards.query';

/** Reading scorecards: which cards a caller may read is the conformance service's rule. */
const SCORECARD_SCOPE = 'system/MeasureReport.rs';

/** The policy version the Measure names (the conformance service reports the one in force). */
export const MEASURE_POLICY_VERSION = 'conformance-policy-1';

/**
 * Scorecards at the FHIR facade: `GET /fhir/MeasureReport?subject=Device/<system>|Group/<product
 * version>&period=ge…&period=lt…` (one MeasureReport per subject and period, from the conformance
 * service, with the caller's token: the operator reads any card, a system its own and its product
 * version's) and `GET /fhir/Measure/<id>` (the scorecard definition). Every MeasureReport is
 * checked by the FHIR validator before it leaves. Declared as FHIR routes (FhirRoute): the shared
 * search table checks the query (unknown parameters, lenient handling, `_count`, `_total`) and the
 * CapabilityStatement lists both while a conformance service is configured.
 */
@Controller(FHIR_PREFIX)
@UseFilters(FhirExceptionFilter)
export class ScorecardsFhirController {
  private readonly logger = new Logger('Scorecards');

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Optional() @Inject(SCORECARDS_CLIENT) private readonly client?: ScorecardsClient,
  ) {}

  @FhirRoute({
    method: 'GET',
    path: 'MeasureReport',
    resource: 'MeasureReport',
    platform: 'conformance',
    interaction: 'search-type',
    scope: SCORECARD_SCOPE,
    searchParams: MEASURE_REPORT_SEARCH_PARAMS,
    summary:
      'Conformance scorecards: one MeasureReport per connected system (Device) or product version (Group) and period',
  })
  async search(@Req() req: Request, @Res() res: Response): Promise<void> {
    const client = this.client;
    if (!client)
      throw FhirError.of(
        404,
        'not-supported',
        'fhir.not-supported',
        'scorecards are not served by this gateway',
      );
    const search = searchOf(req);
    const q = scorecardQueryOf(search, new Date());
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
    sendFhir(
      res,
      200,
      bundle(
        'searchset',
        [
          ...(search.count === 0 ? [] : reports).map((resource) => ({
            resource,
            search: { mode: 'match' as const },
          })),
          ...droppedOutcome(search),
        ],
        { self: search.link(`${this.config.publicUrl}/${FHIR_PREFIX}/MeasureReport`) },
        search.wantTotal ? reports.length : undefined,
      ),
    );
  }

  @FhirRoute({
    method: 'GET',
    path: 'Measure/:id',
    resource: 'Measure',
    platform: 'conformance',
    interaction: 'read',
    scope: SCORECARD_SCOPE,
    summary: 'The scorecard definition (trellis-conformance-scorecard)',
  })
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
