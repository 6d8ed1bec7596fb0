import { Module } from '@nestjs/common';

import { ProductsModule } from '../products/products.module';
import { SystemsGrpcController } from './systems.grpc.controller';
import { SystemsRepository } from './systems.repository';
import { SystemsService } from './systems.service';

@Module({
  imports: [ProductsModule],
  controllers: [SystemsGrpcController],
  providers: [SystemsRepository, SystemsService],
  exports: [SystemsRepository, SystemsService],
})
export class SystemsModule {}
