import { Module } from '@nestjs/common';

import { SystemsModule } from '../systems/systems.module';
import { RegionalAdminController } from './regional.admin.controller';
import { RegionalGrpcController } from './regional.grpc.controller';
import { ScorecardsModule } from '../scorecards/scorecards.module';
import { AuthorityClientsService } from './authority-clients';
import { AuthorityClientsController } from './authority-clients.controller';
import { LifecycleService } from './lifecycle.service';
import { RegionPrincipals } from './region-principals';
import { RegionalReadsController, RegionalReadsService } from './regional-reads';
import { RegionalService } from './regional.service';
import { RegionsRepository } from './regions.repository';
import { RegionRequirementsService } from './requirements.service';
import { RegionStreamHealthService, regionStreamAdminProvider } from './stream-health';

@Module({
  imports: [SystemsModule, ScorecardsModule],
  controllers: [
    RegionalGrpcController,
    RegionalAdminController,
    RegionalReadsController,
    AuthorityClientsController,
  ],
  providers: [
    RegionsRepository,
    RegionalService,
    LifecycleService,
    RegionRequirementsService,
    RegionalReadsService,
    AuthorityClientsService,
    RegionPrincipals,
    RegionStreamHealthService,
    regionStreamAdminProvider,
  ],
  exports: [RegionalService, LifecycleService],
})
export class RegionsModule {}
