import { Module } from '@nestjs/common';

import { CertificatesRepository } from '../certification/certificates.repository';
import { SystemsModule } from '../systems/systems.module';
import { ComplianceEnforcement } from './compliance-enforcement';

/** Follows the conformance service's compliance decisions (not loaded by the seed). */
@Module({
  imports: [SystemsModule],
  providers: [CertificatesRepository, ComplianceEnforcement],
  exports: [ComplianceEnforcement],
})
export class ComplianceModule {}
