import { randomUUID } from 'node:crypto';

import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ACCESS_TOKEN_TYPE } from '@trellis/auth';
import { toTimestamp } from '@trellis/contracts';
import { patientToFhir } from '@trellis/fhir';
import { SignJWT } from 'jose';

import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway.config';
import type { BulkExportJob } from '../../../generated/prisma/client';
import { SIGNING_KEY_RING } from '../../tokens/tokens.service';
import type { SigningKeyRing } from '../../tokens/signing-keys';
import { FHIR_CONFIG, type FhirConfig } from '../fhir.config';
import { PLATFORM_CLIENTS } from '../fhir.tokens';
import { PlatformCallError, type PlatformClients } from '../platform-clients';
import { ExportJobs } from './export.jobs';

const BACKGROUND_TOKEN_TTL_SECONDS = 300;

/**
 * Runs export jobs in the background, one page at a time through the platforms' gRPC list calls
 * (never their databases), mapping each record with the FHIR mappers of the reads. A page runs as
 * the job's owner: a fresh 5-minute token with the owner's kick-off scopes (never more), naming
 * the gateway as actor, so the platform applies the owner's rules (region, restricted records) and
 * refuses a suspended owner — the job then fails. Jobs left running by a stopped gateway are
 * resumed from their last committed page once their lease lapses.
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
        err instanceof PlatformCallError ? `${err.platform}: ${err.decoded.message}` : String(err);
      this.log.warn(`export ${job.id} failed: ${why}`);
      await this.jobs.fail(job.id, why);
    }
    return true;
  }

  private async run(job: BulkExportJob): Promise<void> {
    let cursor = job.cursor;
    for (;;) {
      if (this.stopped) return; // the lease lapses; another start resumes from the cursor
      const authorization = `Bearer ${await this.tokenFor(job)}`;
      const r = await this.platforms.call(
        this.platforms.patients.listPatients,
        {
          region: job.region ?? '',
          ...(job.since ? { updatedSince: toTimestamp(job.since) } : {}),
          page: { pageSize: this.config.exportPageSize, pageToken: cursor },
        },
        {
          authorization,
          correlationId: `export-${job.id}`,
          // audited by the gateway: the kick-off and each file download, not each page
          auditedByGateway: true,
          ...(job.ownerUserId ? { userId: job.ownerUserId } : {}),
        },
      );
      cursor = r.page?.nextPageToken ?? '';
      const lines = r.patients.map((p) => JSON.stringify(patientToFhir(p)));
      const saved = await this.jobs.savePage(job, {
        type: 'Patient',
        lines,
        cursor,
        last: cursor === '',
      });
      if (!saved || cursor === '') return;
    }
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
