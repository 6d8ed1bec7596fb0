import { Controller, Get, Param, Query, Req } from '@nestjs/common';
import { requireCaller, TRELLIS_SCOPES, type ScopeRule } from '@trellis/auth';
import type { SessionProgressJson } from '@trellis/contracts';
import { DomainError } from '@trellis/service-kit';

import { CertificationRepository } from './certification.repository';
import { isCertifiableRole } from './exchange';
import { answeredExchanges, evaluateScenarios, progressJson } from './session-progress';

const ROUTE = 'GET /admin/v1/conformance-sessions/:id/progress';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The same readers as the session's TestReports: the system that runs it, or the operator. */
export const SESSION_PROGRESS_SCOPE_RULES: Readonly<Record<string, ScopeRule>> = {
  [ROUTE]: { scope: 'system/TestReport.rs' },
};

const notFound = (id: string): DomainError =>
  new DomainError('gateway', 'SESSION_NOT_FOUND', 'NOT_FOUND', `session ${id} not found`);

/**
 * A conformance session's scenarios as they stand (issue 20's live progress): the session's
 * answered requests so far, judged on read by the same assertions $finish-session applies. It
 * changes nothing: only Finish writes TestReports and issues a certificate.
 */
@Controller('admin/v1/conformance-sessions')
export class SessionProgressAdminController {
  constructor(private readonly repo: CertificationRepository) {}

  @Get(':id/progress')
  async progress(
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @Req() req: object,
  ): Promise<SessionProgressJson> {
    const unknown = Object.keys(query);
    if (unknown.length > 0 || !UUID.test(id))
      throw new DomainError('gateway', 'INVALID_QUERY', 'INVALID_ARGUMENT', 'invalid request', [
        ...unknown.map((field) => ({ field, rule: 'unknown', message: 'unknown parameter' })),
        ...(UUID.test(id) ? [] : [{ field: 'id', rule: 'format', message: 'a session id' }]),
      ]);
    const caller = requireCaller(req);
    const session = await this.repo.findSession(id);
    // another system's session is not found (its existence is not the caller's business)
    if (
      !session ||
      (session.systemId !== caller.systemId && !caller.scopes.includes(TRELLIS_SCOPES.admin))
    )
      throw notFound(id);
    if (!isCertifiableRole(session.role)) throw notFound(id);
    const rows = await this.repo.exchanges(session.id);
    const evaluatedAt = new Date();
    return {
      session: {
        id: session.id,
        systemId: session.systemId,
        productVersionId: session.productVersionId,
        role: session.role,
        status: session.status,
        result: session.result,
        openedAt: session.openedAt.toISOString(),
        closedAt: session.closedAt?.toISOString() ?? null,
      },
      inFlight: rows.filter((r) => r.status === -1).length,
      evaluatedAt: evaluatedAt.toISOString(),
      scenarios: evaluateScenarios(session.role, answeredExchanges(rows)).map(progressJson),
    };
  }
}
