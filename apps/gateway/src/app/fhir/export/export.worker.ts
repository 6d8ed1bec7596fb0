import { randomUUID } from 'node:crypto';

import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import {
  ACCESS_TOKEN_TYPE,
  AUTH_GUARD_OPTIONS,
  AUTH_SUSPENSION_CHECK,
  type AuthGuardOptions,
  type SuspensionCheck,
  type VouchBasis,
} from '@trellis/auth';
import { fromTimestamp, toTimestamp } from '@trellis/contracts';
import { patientToFhir } from '@trellis/fhir';
import { SignJWT } from 'jose';

import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway.config';
import type { BulkExportJob } from '../../../generated/prisma/client';
import { SIGNING_KEY_RING } from '../../tokens/tokens.service';
import type { SigningKeyRing } from '../../tokens/signing-keys';
import { FHIR_CONFIG, type FhirConfig } from '../fhir.config';
import { PLATFORM_CLIENTS } from '../fhir.tokens';
import { PATIENT_BATCH_MAX } from '@trellis/service-kit';
import { PlatformCallError, type ForwardContext, type PlatformClients } from '../platform-clients';
import { ExportJobs } from './export.jobs';
import { sourcesFor, type ExportSource, type ExportType } from './export.sources';

const BACKGROUND_TOKEN_TTL_SECONDS = 300;

/** A page not run: the owner's status is suspended or unknown (the job fails with this). */
export class ExportOwnerRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportOwnerRefused';
  }
}

/**
 * Where a job stands (JSON in the job's cursor, committed with each page): `n` identity's token
 * of the next patient page; while a batch of patients is under way, `b` its NHS numbers, `s` the
 * source asked, `c` that source's page token, `e` whether it is identity's last page.
 */
interface ExportState {
  n: string;
  b?: string[];
  s?: number;
  c?: string;
  e?: boolean;
}

interface Step {
  files: Array<{ type: string; lines: string[] }>;
  state: ExportState;
  last: boolean;
}

function readState(cursor: string): ExportState {
  if (!cursor.startsWith('{')) return { n: cursor }; // a job saved by a Patient-only gateway
  return JSON.parse(cursor) as ExportState;
}

/**
 * Runs export jobs in the background, one page at a time through the platforms' gRPC list calls
 * (never their databases), mapping each record with the FHIR mappers of the reads: a page of the
 * region's patients at identity, then each requested platform's records of that batch of NHS
 * numbers (export.sources.ts), then the next page of patients. A page runs as
 * the job's owner: a fresh 5-minute token with the owner's kick-off scopes (never more), naming
 * the gateway as actor, so the platform applies the owner's rules (region, restricted records).
 * Before each page the gateway checks the owner's status as its guard checks a caller's (its feed,
 * or its own registry table while that is down): a suspended owner fails the job; otherwise the
 * page's calls carry the gateway's vouch bound to that page's token, so a platform whose own
 * suspension feed has not replayed serves them (docs/security.md §4a). Jobs left running by a
 * stopped gateway are resumed from their last committed page once their lease lapses.
 */
@Injectable()
export class ExportWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('ExportWorker');
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private running?: Promise<void>;

  constructor(
    private readonly jobs: ExportJobs,
    @Inject(PLATFORM_CLIENTS) private readonly platforms: PlatformClients,
    @Inject(FHIR_CONFIG) private readonly config: FhirConfig,
    @Inject(GATEWAY_CONFIG) private readonly gateway: GatewayConfig,
    @Inject(SIGNING_KEY_RING) private readonly keys: SigningKeyRing,
    @Inject(AUTH_SUSPENSION_CHECK) private readonly statuses: SuspensionCheck,
    @Inject(AUTH_GUARD_OPTIONS) private readonly guard: AuthGuardOptions,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.platforms.has('identity')) return;
    this.schedule(0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .then((worked) => this.schedule(worked ? 0 : this.config.exportPollMs))
        .catch((err: unknown) => {
          this.log.warn(`export tick failed: ${String(err)}`);
          this.schedule(this.config.exportPollMs);
        });
    }, ms);
    this.timer.unref();
  }

  /** One job to its end (or cancellation); false when there was none. */
  private async tick(): Promise<boolean> {
    await this.jobs.expire();
    const job = await this.jobs.claim();
    if (!job) return false;
    try {
      await this.run(job);
    } catch (err) {
      const why =
        err instanceof PlatformCallError
          ? `${err.platform}: ${err.decoded.message}`
          : err instanceof ExportOwnerRefused
            ? err.message
            : String(err);
      this.log.warn(`export ${job.id} failed: ${why}`);
      await this.jobs.fail(job.id, why);
    }
    return true;
  }

  private async run(job: BulkExportJob): Promise<void> {
    const sources = sourcesFor(job.types);
    const want = new Set(job.types as ExportType[]);
    let state = readState(job.cursor);
    for (;;) {
      if (this.stopped) return; // the lease lapses; another start resumes from the cursor
      const token = await this.tokenFor(job);
      const ctx: ForwardContext = {
        authorization: `Bearer ${token}`,
        vouch: await this.ownerChecked(job, token),
        correlationId: `export-${job.id}`,
        // audited by the gateway: the kick-off and each file download, not each page
        auditedByGateway: true,
        ...(job.ownerUserId ? { userId: job.ownerUserId } : {}),
      };
      const step = state.b
        ? await this.sourcePage(job, sources, want, state, ctx)
        : await this.patientPage(job, sources.length > 0, want, state, ctx);
      const saved = await this.jobs.savePage(
        job,
        { files: step.files, cursor: JSON.stringify(step.state), last: step.last },
        this.config.exportMaxJobBytes,
      );
      if (saved !== 'saved' || step.last) return;
      state = step.state;
    }
  }

  /**
   * The next page of the region's patients at identity: its Patient lines, and the batch of NHS
   * numbers the platform sources are asked about next. With other types and _since, every
   * patient is listed (their referrals may have changed when they did not) and Patient lines are
   * filtered here by lastUpdated; a Patient-only export lets identity filter.
   */
  private async patientPage(
    job: BulkExportJob,
    batches: boolean,
    want: ReadonlySet<ExportType>,
    state: ExportState,
    ctx: ForwardContext,
  ): Promise<Step> {
    const since = job.since ?? undefined;
    const r = await this.platforms.call(
      this.platforms.patients.listPatients,
      {
        region: job.region ?? '',
        ...(since && !batches ? { updatedSince: toTimestamp(since) } : {}),
        page: {
          pageSize: batches
            ? Math.min(this.config.exportPageSize, PATIENT_BATCH_MAX)
            : this.config.exportPageSize,
          pageToken: state.n,
        },
      },
      ctx,
    );
    const next = r.page?.nextPageToken ?? '';
    const changed = (p: (typeof r.patients)[number]) =>
      !since || !batches || (p.lastUpdated ? fromTimestamp(p.lastUpdated) >= since : true);
    const files = want.has('Patient')
      ? [
          {
            type: 'Patient',
            lines: r.patients.filter(changed).map((p) => JSON.stringify(patientToFhir(p))),
          },
        ]
      : [];
    if (batches && r.patients.length > 0)
      return {
        files,
        state: { n: next, b: r.patients.map((p) => p.nhsNumber), s: 0, c: '', e: next === '' },
        last: false,
      };
    return { files, state: { n: next }, last: next === '' };
  }

  /** One page of the current source's records of the batch; then the next source or batch. */
  private async sourcePage(
    job: BulkExportJob,
    sources: readonly ExportSource[],
    want: ReadonlySet<ExportType>,
    state: ExportState,
    ctx: ForwardContext,
  ): Promise<Step> {
    const index = state.s ?? 0;
    const source = sources[index];
    if (!source || !state.b) return { files: [], state: { n: state.n }, last: state.e === true };
    const page = await source.page(
      this.platforms,
      {
        nhsNumbers: state.b,
        ...(job.since ? { since: job.since } : {}),
        pageSize: this.config.exportPageSize,
        pageToken: state.c ?? '',
      },
      want,
      ctx,
    );
    if (page.nextPageToken)
      return { files: page.files, state: { ...state, c: page.nextPageToken }, last: false };
    if (index + 1 < sources.length)
      return { files: page.files, state: { ...state, s: index + 1, c: '' }, last: false };
    return { files: page.files, state: { n: state.n }, last: state.e === true };
  }

  /**
   * The owner's status now, as the guard would find it for a call with `token`: the basis of the
   * page's vouch. The lifecycle admission was decided at kick-off (the job exists only if it
   * was admitted), so the vouch states `admitted`.
   */
  private async ownerChecked(job: BulkExportJob, token: string): Promise<VouchBasis> {
    const owner = job.ownerSystemId;
    const status = await this.statuses.check(owner, this.guard.statusReadyTimeoutMs);
    if (!status.available)
      throw new ExportOwnerRefused(`the status of ${owner} is unknown: ${status.reason}`);
    if (status.suspended) throw new ExportOwnerRefused(`system ${owner} is suspended`);
    return {
      systemId: owner,
      accessToken: token,
      writesRestricted: status.writesRestricted,
      checkedAt: Date.now(),
      admission: 'admitted',
    };
  }

  private async tokenFor(job: BulkExportJob): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const key = this.keys.current;
    return new SignJWT({
      client_id: job.ownerSystemId,
      scope: job.scopes.join(' '),
      ods_code: job.ownerOdsCode,
      region: job.ownerRegion,
      act: { sub: 'gateway/export' },
    })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: ACCESS_TOKEN_TYPE })
      .setIssuer(this.gateway.publicUrl)
      .setAudience(this.gateway.audience)
      .setSubject(job.ownerSystemId)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + BACKGROUND_TOKEN_TTL_SECONDS)
      .sign(key.privateKey);
  }
}
