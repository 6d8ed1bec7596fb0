import type { Bundle } from '@medplum/fhirtypes';
import { referrals } from '@trellis/contracts';
import { FhirError, fhirErrorFromPlatform, validateFhirResource } from '@trellis/fhir';
import type { Request, Response } from 'express';

import { forwardContext, sendFhir } from '../fhir.http';
import { FHIR_PREFIX } from '../fhir.registry';
import { searchOf } from '../fhir.search';
import { selfUrl } from '../fhir.support';
import { PlatformCallError, type PlatformClients } from '../platform-clients';
import { regionalWaitingListsBundle } from '../waiting-list-report';
import { fhirOperation } from './fhir-operation';

/** GET /fhir/MeasureReport/$regional-waiting-lists */
export const MEASUREREPORT_REGIONAL_WAITING_LISTS = fhirOperation(
  {
    resourceType: 'OperationDefinition',
    id: 'measurereport-regional-waiting-lists',
    name: 'regional-waiting-lists',
    status: 'active',
    kind: 'operation',
    description:
      "A Bundle (searchset) of MeasureReports: the region's total, then one per provider with its open RTT pathways by weeks-waited band and by specialty, and its 18-week and two-week-wait breaches. For the region's digital authority (region/<region>/waiting-lists.read) or the national operator.",
    affectsState: false,
    code: 'regional-waiting-lists',
    resource: ['MeasureReport'],
    system: false,
    type: true,
    instance: false,
    parameter: [
      {
        name: 'region',
        use: 'in',
        min: 1,
        max: '1',
        documentation: 'The region code',
        type: 'token',
      },
      {
        name: 'return',
        use: 'out',
        min: 1,
        max: '1',
        documentation: 'The reports',
        type: 'Bundle',
      },
    ],
  },
  {
    method: 'GET',
    platform: 'referrals',
    scope: 'region/*/waiting-lists.read',
    searchParams: [
      {
        name: 'region',
        type: 'token',
        documentation: 'The region code, e.g. north-east (required)',
      },
    ],
    summary: "A region's RTT waiting lists and breaches by provider and specialty",
  },
);

/**
 * Serves MeasureReport/$regional-waiting-lists: the referrals platform's GetRegionalWaitingLists
 * with the caller's token, so the same rule decides on both doors; every report is validated
 * before it leaves.
 */
export async function regionalWaitingLists(
  ctx: { platforms: PlatformClients; publicUrl: string },
  req: Request,
  res: Response,
): Promise<Bundle> {
  const region = searchOf(req).one('region');
  if (!region)
    throw FhirError.of(
      400,
      'required',
      'operation.parameter-required',
      'region is required',
      'region',
    );
  let r: referrals.v1.GetRegionalWaitingListsResponse;
  try {
    r = await ctx.platforms.call(
      ctx.platforms.referrals.getRegionalWaitingLists,
      { region },
      forwardContext(req),
    );
  } catch (err) {
    if (err instanceof PlatformCallError) throw fhirErrorFromPlatform(err.decoded, 'MeasureReport');
    throw err;
  }
  const asOf = r.asOf ? new Date(Number(r.asOf.seconds) * 1000) : new Date();
  const base = `${ctx.publicUrl}/${FHIR_PREFIX}`;
  const bundle = regionalWaitingListsBundle(region, r, asOf, base, selfUrl(ctx.publicUrl, req));
  for (const e of bundle.entry ?? []) {
    const { issues } = validateFhirResource(e.resource!);
    if (issues.length > 0)
      throw FhirError.of(
        500,
        'exception',
        'fhir.outbound-invalid',
        `waiting list could not be rendered: ${issues
          .map((i) => i.message)
          .join('; ')
          .slice(0, 200)}`,
      );
  }
  sendFhir(res, 200, bundle);
  return bundle;
}
