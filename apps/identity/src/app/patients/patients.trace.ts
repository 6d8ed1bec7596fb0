import type { Actor, PatientView, TraceQuery } from './patient.model';
import {
  type Hit,
  hasScope,
  notFound,
  type PatientSupport,
  SCOPE_PATIENT_SEARCH,
} from './patients.support';
import { requireNhsNumber, TRACE_MAX_RESULTS, validateTrace } from './patients.validation';

/** Finding patients: by NHS number (a merged number answers with the survivor) or by demographics. */
export class PatientTrace {
  constructor(private readonly s: PatientSupport) {}

  /** Reads by NHS number; a merged number answers with the survivor. */
  async get(
    actor: Actor,
    nhsInput: string,
  ): Promise<{ patient: PatientView; superseded: boolean; requested: string }> {
    const nhs = requireNhsNumber(nhsInput, 'nhs_number');
    const record = await this.s.repo.read(nhs);
    if (!record) throw notFound(nhs, 'nhs_number');
    if (record.mergedInto) {
      const survivor = await this.s.repo.read(record.mergedInto);
      if (!survivor) throw notFound(record.mergedInto, 'nhs_number');
      return { patient: this.s.view(actor, survivor), superseded: true, requested: nhs };
    }
    return { patient: this.s.view(actor, record), superseded: false, requested: nhs };
  }

  async trace(
    actor: Actor,
    input: Omit<TraceQuery, 'maxResults' | 'minScore'> & { maxResults?: number; minScore?: number },
    singleMatchRequested: boolean,
  ): Promise<{ hits: Hit[]; singleMatch: boolean; totalAboveThreshold: number }> {
    const query: TraceQuery = {
      ...input,
      maxResults: input.maxResults || this.s.rules.traceDefaultMaxResults,
      minScore: input.minScore || this.s.rules.traceMinScore,
      dominanceMargin: input.mode === 'exact' ? 1 : this.s.rules.traceDominanceMargin,
      maskRestricted: !this.s.mayReadRestricted(actor),
    };
    validateTrace({ ...query, maxResults: input.maxResults ?? 0 });
    const singleMatch = singleMatchRequested || !hasScope(actor, SCOPE_PATIENT_SEARCH);
    const result = await this.s.repo.trace(singleMatch ? { ...query, maxResults: 2 } : query);
    let candidates = result.candidates;
    if (singleMatch) candidates = result.totalAboveThreshold === 1 ? candidates.slice(0, 1) : [];
    const hits = await this.s.hits(
      this.s.repo,
      actor,
      candidates.slice(0, Math.min(query.maxResults, TRACE_MAX_RESULTS)),
    );
    return { hits, singleMatch, totalAboveThreshold: result.totalAboveThreshold };
  }
}
