// Step 8: the shared care record (FHIR Patient/$everything) as each organisation sees it, and
// the access audit stream.
import { readAudit, type AuditEntry } from '../audit';
import type { JourneyContext, Parties } from '../context';
import { eventually, fhir } from '../fhir';

export interface EverythingSummary {
  status: number;
  resourceTypes: Record<string, number>;
  issues: string[];
}

export interface SharedRecord {
  everything: { gp: EverythingSummary; hospital: EverythingSummary };
  audit: AuditEntry[];
}

export async function readSharedRecord(
  { cfg, log, startedAtMs }: JourneyContext,
  { gpToken, hospitalToken }: Parties,
  nhsNumber: string,
): Promise<SharedRecord> {
  log.step('The shared care record (FHIR Patient/$everything) and the access audit stream');
  const everythingAs = async (who: string, token: string): Promise<EverythingSummary> => {
    log.sent(`GET /fhir/Patient/${nhsNumber}/$everything (${who})`);
    const ev = await fhir(cfg.gatewayUrl, token, 'GET', `Patient/${nhsNumber}/$everything`);
    const resourceTypes: Record<string, number> = {};
    const issues: string[] = [];
    const bundleEntries =
      (ev.body['entry'] as Array<{
        resource?: {
          resourceType?: string;
          status?: string;
          issue?: Array<{ diagnostics?: string; details?: { text?: string } }>;
        };
      }>) ?? [];
    for (const e of bundleEntries) {
      const rt = e.resource?.resourceType ?? '?';
      resourceTypes[rt] = (resourceTypes[rt] ?? 0) + 1;
      if (rt === 'OperationOutcome')
        for (const i of e.resource?.issue ?? [])
          issues.push(i.diagnostics ?? i.details?.text ?? '');
    }
    log.received(
      `${ev.status} Bundle: ${
        bundleEntries
          .filter((e) => e.resource?.resourceType !== 'OperationOutcome')
          .map(
            (e) =>
              `${e.resource?.resourceType}${e.resource?.status ? `(${e.resource.status})` : ''}`,
          )
          .join(', ') || '(empty)'
      }`,
      issues.length ? issues : undefined,
    );
    return { status: ev.status, resourceTypes, issues };
  };
  const everything = {
    gp: await everythingAs('GP', gpToken),
    hospital: await everythingAs('hospital', hospitalToken),
  };
  log.note(
    'each organisation sees what the platforms let it see: the GP the referral it sent and the result it requested, the hospital the referral it received and the appointment it booked',
  );
  const audit = await eventually(
    'audit events',
    () => readAudit(cfg, nhsNumber, startedAtMs),
    (a) => a.length > 0,
    15_000,
  ).catch(() => [] as AuditEntry[]);
  log.received(
    `${audit.length} access audit record(s) on trellis.audit.access.v1 for Patient/${nhsNumber}:`,
  );
  for (const a of audit)
    log.note(
      `  ${a.time}  ${a.systemId} (${a.odsCode})  ${a.action} ${a.interaction}  outcome=${a.outcome}  [${a.sourceService}]`,
    );
  return { everything, audit };
}
