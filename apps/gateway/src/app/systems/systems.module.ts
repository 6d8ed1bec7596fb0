import { Module } from '@nestjs/common';

import { SystemsGrpcController } from './systems.grpc.controller';
import { SystemsRepository } from './systems.repository';
import { SystemsService } from './systems.service';

@Module({
  controllers: [SystemsGrpcController],
  providers: [SystemsRepository, SystemsService],
  exports: [SystemsRepository, SystemsService],
})
export class SystemsModule {}
