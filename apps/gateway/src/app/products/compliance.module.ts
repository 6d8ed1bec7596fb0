import { Module } from '@nestjs/common';

import { SystemsModule } from '../systems/systems.module';
import { ComplianceEnforcement } from './compliance-enforcement';

/** Follows the conformance service's compliance decisions (not loaded by the seed). */
@Module({
  imports: [SystemsModule],
  providers: [ComplianceEnforcement],
  exports: [ComplianceEnforcement],
})
export class ComplianceModule {}
