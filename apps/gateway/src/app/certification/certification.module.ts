import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';

import { RegionsModule } from '../regions/regions.module';
import { TokensModule } from '../tokens/tokens.module';
import { CallLifecycleGate } from './call-gate';
import { CertificationGrpcController } from './certification.grpc.controller';
import { CertificationRepository } from './certification.repository';
import { CertificationService } from './certification.service';
import { SandboxInterceptor } from './sandbox.interceptor';
import { SessionProgressAdminController } from './session-progress.admin.controller';

/**
 * The conformance kit (issue 17): TestScripts, sessions in the sandbox with injected faults,
 * TestReports, certificates and their public register. Its FHIR routes (CertificationFhirController)
 * are registered by the FHIR module among its resource routes, before its catch-all.
 */
@Module({
  imports: [TokensModule, RegionsModule],
  controllers: [CertificationGrpcController, SessionProgressAdminController],
  providers: [
    CertificationRepository,
    CertificationService,
    SandboxInterceptor,
    CallLifecycleGate,
    { provide: APP_INTERCEPTOR, useExisting: SandboxInterceptor },
  ],
  exports: [CertificationService, CertificationRepository, CallLifecycleGate],
})
export class CertificationModule {}
