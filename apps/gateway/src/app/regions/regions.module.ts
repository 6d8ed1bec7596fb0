import { Module } from '@nestjs/common';

import { SystemsModule } from '../systems/systems.module';
import { RegionalAdminController } from './regional.admin.controller';
import { RegionalGrpcController } from './regional.grpc.controller';
import { RegionalService } from './regional.service';
import { RegionStreamHealthService, regionStreamAdminProvider } from './stream-health';

@Module({
  imports: [SystemsModule],
  controllers: [RegionalGrpcController, RegionalAdminController],
  providers: [RegionalService, RegionStreamHealthService, regionStreamAdminProvider],
  exports: [RegionalService],
})
export class RegionsModule {}
