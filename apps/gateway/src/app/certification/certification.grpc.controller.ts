import { requireCaller } from '@trellis/auth';
import { gateway } from '@trellis/contracts';
import { FhirError } from '@trellis/fhir';
import { DomainError, grpcController, type ErrorKind } from '@trellis/service-kit';

import { CertificationService } from './certification.service';
import { isCertifiableRole } from './exchange';
import { scenariosOf } from './scenarios';

const { SystemEnvironment } = gateway.v1;

/** The certification context's error on gRPC (the same rule ids as its OperationOutcomes). */
export class CertificationError extends DomainError<string> {
  constructor(code: string, kind: ErrorKind, message: string, field = '') {
    super('gateway', code, kind, message, field ? [{ field, rule: code, message }] : []);
  }
}

const KIND_OF_STATUS: Record<number, ErrorKind> = {
  400: 'INVALID_ARGUMENT',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  422: 'FAILED_PRECONDITION',
};

/** The service speaks FHIR errors (shared with the facade); gRPC callers get the same rule. */
async function grpcErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (!(err instanceof FhirError)) throw err;
    const issue = err.issues[0];
    const rule = issue?.rule ?? 'conformance';
    const kind =
      rule === 'conformance.session-closed'
        ? 'FAILED_PRECONDITION'
        : (KIND_OF_STATUS[err.status] ?? 'INTERNAL');
    throw new CertificationError(rule, kind, issue?.message ?? err.message);
  }
}

/** Conformance sessions and the operator's certification decisions over gRPC. */
export const CertificationGrpcController = grpcController(
  gateway.v1.CertificationServiceDefinition,
  [CertificationService],
  (certification: CertificationService) => ({
    startSession: (req, metadata) => {
      return grpcErrors(async () => {
        const retry = req.retryAfterSeconds || 2;
        if (retry < 1 || retry > 30)
          throw new CertificationError(
            'operation.parameter',
            'INVALID_ARGUMENT',
            'retry_after_seconds must be 1-30',
            'retry_after_seconds',
          );
        const s = await certification.start(requireCaller(metadata), req.role || undefined, retry);
        return {
          sessionId: s.id,
          role: s.role,
          productVersionId: s.productVersionId,
          rulesVersion: s.rulesVersion,
          testScriptIds: isCertifiableRole(s.role) ? scenariosOf(s.role).map((x) => x.id) : [],
        };
      });
    },

    finishSession: (req, metadata) => {
      return grpcErrors(async () => {
        if (!/^[0-9a-f-]{36}$/.test(req.sessionId))
          throw new CertificationError(
            'operation.parameter',
            'INVALID_ARGUMENT',
            'session_id is the id StartSession returned',
            'session_id',
          );
        const closed = await certification.finish(requireCaller(metadata), req.sessionId);
        return {
          passed: closed.session.result === 'pass',
          results: closed.reports.map((r) => ({
            testScriptId: r.testScript.reference?.replace('TestScript/', '') ?? '',
            testReportId: r.id ?? '',
            passed: r.result === 'pass',
            failedAssertions: (r.test?.[0]?.action ?? [])
              .filter((a) => a.assert?.result === 'fail')
              .map((a) => a.assert?.message?.split(' ')[0] ?? ''),
            testReportJson: JSON.stringify(r),
          })),
          certificateId: closed.certificate?.id ?? '',
          certificateJwt: closed.certificate?.jwt ?? '',
        };
      });
    },

    setSystemEnvironment: async (req, metadata) => {
      const caller = requireCaller(metadata);
      const environment =
        req.environment === SystemEnvironment.SYSTEM_ENVIRONMENT_PRODUCTION
          ? 'production'
          : req.environment === SystemEnvironment.SYSTEM_ENVIRONMENT_SANDBOX
            ? 'sandbox'
            : undefined;
      if (!environment)
        throw new CertificationError(
          'required',
          'INVALID_ARGUMENT',
          'environment is required',
          'environment',
        );
      if ((req.reason ?? '').trim().length < 5)
        throw new CertificationError(
          'required',
          'INVALID_ARGUMENT',
          'a reason (5+ characters) is required',
          'reason',
        );
      const done = await certification.setEnvironment(
        req.systemId,
        environment,
        req.reason.trim().slice(0, 500),
        caller,
      );
      if (!done)
        throw new CertificationError(
          'SYSTEM_NOT_FOUND',
          'NOT_FOUND',
          `system ${req.systemId.slice(0, 64)} not found`,
          'system_id',
        );
      return {};
    },

    revokeCertificate: async (req) => {
      if ((req.reason ?? '').trim().length < 5)
        throw new CertificationError(
          'required',
          'INVALID_ARGUMENT',
          'a reason (5+ characters) is required',
          'reason',
        );
      const done =
        /^[0-9a-f-]{36}$/.test(req.certificateId) &&
        (await certification.revoke(req.certificateId, req.reason.trim()));
      if (!done)
        throw new CertificationError(
          'CERTIFICATE_NOT_FOUND',
          'NOT_FOUND',
          'no such certificate (or already revoked)',
          'certificate_id',
        );
      return {};
    },
  }),
);
