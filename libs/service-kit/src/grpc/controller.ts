// A gRPC controller declared as a handler map: the request and response types come from the
// ts-proto service definition the controller serves instead of being restated per method (or per
// controller), and the methods are registered from that definition, so a method the proto lacks
// (or a missing one) fails the typecheck.
import type { Metadata } from '@grpc/grpc-js';
import { Controller, Inject, type InjectionToken, type Type } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { Observable } from 'rxjs';

type Method = (request: never, metadata?: Metadata) => unknown;

/** One handler per unary method of a ts-proto `…ServiceController` interface. */
export type GrpcHandlers<C> = {
  [K in keyof C]: C[K] extends (request: infer Req, ...rest: never[]) => infer Res
    ? (request: Req, metadata?: Metadata) => Res
    : never;
};

/** The message a ts-proto message's functions (`MessageFns<T>`) encode and decode. */
type MessageOf<F> = F extends { decode(...args: never[]): infer T } ? T : never;

/** What is read of one method of a ts-proto generic service definition. */
interface MethodDefinition {
  requestType: unknown;
  responseType: unknown;
  requestStream: boolean;
  responseStream: boolean;
}

/** What is read of a ts-proto generic service definition (`…ServiceDefinition`). */
export interface GrpcServiceDefinition {
  name: string;
  methods: Readonly<Record<string, MethodDefinition>>;
}

/**
 * One handler per method of a service definition, typed by its request and response messages
 * (what the ts-proto `…ServiceController` interface of that service says, so a map annotated
 * `GrpcHandlers<…ServiceController>` fits too).
 */
export type GrpcHandlersOf<D extends GrpcServiceDefinition> = {
  [K in keyof D['methods']]: (
    request: MessageOf<D['methods'][K]['requestType']>,
    metadata?: Metadata,
  ) =>
    | Promise<MessageOf<D['methods'][K]['responseType']>>
    | Observable<MessageOf<D['methods'][K]['responseType']>>
    | MessageOf<D['methods'][K]['responseType']>;
};

const HANDLERS = Symbol('trellis.grpc.handlers');

/**
 * A Nest gRPC controller class for `service`: its constructor injects `inject` and passes them to
 * `handlers`, whose map serves the service's methods (unary only).
 *
 *   export const ScheduleGrpcController = grpcController(
 *     appointments.v1.ScheduleServiceDefinition,
 *     [SchedulingService],
 *     (scheduling: SchedulingService) => ({
 *       getSchedule: async (req, md) => { … },
 *     }),
 *   );
 */
export function grpcController<S extends GrpcServiceDefinition, const D extends readonly unknown[]>(
  service: S,
  inject: NoInfer<{ readonly [I in keyof D]: InjectionToken }>,
  handlers: (...deps: D) => NoInfer<GrpcHandlersOf<S>>,
): Type<unknown> {
  class GrpcServiceController {
    readonly [HANDLERS]: Record<string, Method>;
    constructor(...deps: D) {
      this[HANDLERS] = handlers(...deps) as unknown as Record<string, Method>;
    }
  }
  Object.defineProperty(GrpcServiceController, 'name', { value: `${service.name}Controller` });
  inject.forEach((token, index) => Inject(token)(GrpcServiceController, undefined, index));
  for (const [method, spec] of Object.entries(service.methods)) {
    if (spec.requestStream || spec.responseStream)
      throw new Error(`${service.name}.${method}: grpcController serves unary methods only`);
    // a named function per method: the request interceptor names a call by its handler
    const delegate = {
      [method](this: GrpcServiceController, request: never, metadata?: Metadata): unknown {
        const handler = this[HANDLERS][method];
        if (!handler) throw new Error(`${service.name}.${method} has no handler`);
        return handler(request, metadata);
      },
    }[method]!;
    const descriptor: PropertyDescriptor = { value: delegate, writable: true, configurable: true };
    Object.defineProperty(GrpcServiceController.prototype, method, descriptor);
    GrpcMethod(service.name, method)(GrpcServiceController.prototype, method, descriptor);
  }
  Controller()(GrpcServiceController);
  return GrpcServiceController;
}

/** GrpcHandlersOf whose handlers take the call as one service makes it of the metadata (`Call`). */
export type GrpcCallHandlersOf<D extends GrpcServiceDefinition, Call> = {
  [K in keyof D['methods']]: (
    request: MessageOf<D['methods'][K]['requestType']>,
    call: Call,
  ) => Promise<MessageOf<D['methods'][K]['responseType']>>;
};

/**
 * grpcController for services whose every handler starts by reading the call from its metadata
 * (the authenticated caller, what to forward downstream): `callOf` is applied once, here, and the
 * handlers take its result instead of the metadata (a refusal of `callOf` rejects the call as a
 * throw in the handler would).
 *
 *   export const platformGrpcController = grpcControllerFor(callOf);
 *   platformGrpcController(def, [Service], (s: Service) => ({
 *     getThing: async (req, { caller, ctx }) => …,
 *   }));
 */
export function grpcControllerFor<Call>(callOf: (metadata: Metadata | undefined) => Call) {
  return function callGrpcController<
    S extends GrpcServiceDefinition,
    const D extends readonly unknown[],
  >(
    service: S,
    inject: NoInfer<{ readonly [I in keyof D]: InjectionToken }>,
    handlers: (...deps: D) => NoInfer<GrpcCallHandlersOf<S, Call>>,
  ): Type<unknown> {
    return grpcController(service, inject, (...deps: D) => {
      const map = handlers(...deps) as unknown as Record<
        string,
        (request: never, call: Call) => Promise<unknown>
      >;
      const served: Record<string, Method> = {};
      for (const [method, handle] of Object.entries(map))
        served[method] = async (request: never, metadata?: Metadata) =>
          handle(request, callOf(metadata));
      // one handler per method of S, as the map's type said
      return served as unknown as GrpcHandlersOf<S>;
    });
  };
}
