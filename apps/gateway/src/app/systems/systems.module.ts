import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { json } from 'express';

import { ProductsModule } from '../products/products.module';
import { SystemsAdminController } from './systems.admin.controller';
import { SystemsGrpcController } from './systems.grpc.controller';
import { SystemsRepository } from './systems.repository';
import { SystemsService } from './systems.service';

@Module({
  imports: [ProductsModule],
  controllers: [SystemsGrpcController, SystemsAdminController],
  providers: [SystemsRepository, SystemsService],
  exports: [SystemsRepository, SystemsService],
})
export class SystemsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // the gateway has no global body parser: the admin JSON routes take small JSON bodies only
    consumer
      .apply(json({ limit: '4kb', strict: true }))
      .forRoutes({ path: 'admin/v1/*path', method: RequestMethod.POST });
  }
}
