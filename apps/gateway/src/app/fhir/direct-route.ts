import { AsyncResource } from 'node:async_hooks';

import {
  ForbiddenException,
  type CallHandler,
  type CanActivate,
  type NestInterceptor,
  type Type,
} from '@nestjs/common';
import {
  HEADERS_METADATA,
  HOST_METADATA,
  HTTP_CODE_METADATA,
  REDIRECT_METADATA,
  RENDER_METADATA,
  RESPONSE_PASSTHROUGH_METADATA,
  ROUTE_ARGS_METADATA,
  SSE_METADATA,
  VERSION_METADATA,
} from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import type { AbstractHttpAdapter, ApplicationConfig, NestContainer } from '@nestjs/core';
import { FORBIDDEN_MESSAGE } from '@nestjs/core/guards/constants';
import { GuardsConsumer } from '@nestjs/core/guards/guards-consumer';
import { GuardsContextCreator } from '@nestjs/core/guards/guards-context-creator';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { STATIC_CONTEXT } from '@nestjs/core/injector/constants';
import { InterceptorsContextCreator } from '@nestjs/core/interceptors/interceptors-context-creator';
import { PipesContextCreator } from '@nestjs/core/pipes/pipes-context-creator';
import { RouterExceptionFilters } from '@nestjs/core/router/router-exception-filters';
import type { RouterProxyCallback } from '@nestjs/core/router/router-proxy';
import { defer, from, isObservable, lastValueFrom, mergeAll, Observable } from 'rxjs';

/** A route handler as Express calls it (`next` is what the route passes on). */
export type DirectHandler = (req: object, res: object, next: (err?: unknown) => void) => void;

/** Either the handler, or why it was not built (the route then stays Nest's). */
export type DirectRoute = { handler: DirectHandler } | { refused: string };

/**
 * A controller method's HTTP route run as Nest's router runs it — guards (Nest's own consumer),
 * status, the interceptors around the method, the exception filters on any error — without the
 * router execution context's per-request machinery (issue 23). Everything is resolved at bootstrap
 * **by Nest's own context creators** from the same container and application config, with the
 * same module key and inquirer id as Nest's router explorer: the global lists, then the class's,
 * then the method's. Built only for what this reproduces exactly: a static controller whose method
 * takes `@Req()` and `@Res()` (no pipes, nothing passed through, so the method answers itself),
 * no status/headers/redirect/render/SSE/host/version metadata; anything else is refused.
 *
 * The interceptor chain keeps Nest's semantics: each `next.handle()` is an Observable bound to the
 * async context it was asked for in (`AsyncResource.bind`, as `InterceptorsConsumer`), subscribing
 * runs the next interceptor (a Promise of an Observable flattened, as Nest's `mergeAll`), and the
 * method is called when the innermost one subscribes; its settled value is the chain's. What is
 * left out is only bookkeeping that cannot apply to such a method: the args' pipe pass
 * (`Promise.all` over two unpiped params), the handler-Observable subject and client-disconnect
 * teardown (the method answers a Promise, never an Observable), the StreamableFile release.
 */
export function directRoute(
  container: NestContainer,
  adapter: AbstractHttpAdapter,
  controller: Type<object>,
  methodName: string,
): DirectRoute {
  const found = wrapperOf(container, controller);
  if (!found) return { refused: `${controller.name} is not a static controller of one module` };
  const { moduleKey, instance, inquirerId } = found;
  const callback = (controller.prototype as Record<string, unknown>)[methodName];
  if (typeof callback !== 'function') return { refused: `${controller.name}.${methodName}` };
  const method = callback as (...args: unknown[]) => unknown;

  const config = container.applicationConfig;
  if (!config) return { refused: 'no application config' };
  const unusual = unusualMetadata(config, controller, method, methodName);
  if (unusual) return { refused: unusual };
  const pipes = new PipesContextCreator(container, config).create(
    instance,
    method,
    moduleKey,
    STATIC_CONTEXT,
    inquirerId,
  );
  if (pipes.length > 0) return { refused: 'pipes on the route' };
  const guards = new GuardsContextCreator(container, config).create(
    instance,
    method,
    moduleKey,
    STATIC_CONTEXT,
    inquirerId,
  ) as CanActivate[];
  const interceptors = new InterceptorsContextCreator(container, config).create(
    instance,
    method,
    moduleKey,
    STATIC_CONTEXT,
    inquirerId,
  ) as NestInterceptor[];
  const exceptions = new RouterExceptionFilters(container, config, adapter).create(
    instance,
    method as RouterProxyCallback,
    moduleKey,
    STATIC_CONTEXT,
    inquirerId,
  );
  const guardsConsumer = new GuardsConsumer();
  const status = 200; // RouterResponseController.getStatusByMethod(GET), no @HttpCode

  /** InterceptorsConsumer.intercept, level by level; the method innermost. */
  const chain = (
    context: ExecutionContextHost,
    i: number,
    call: () => unknown,
  ): Observable<unknown> =>
    i >= interceptors.length
      ? settled(call)
      : flattened(() =>
          interceptors[i]!.intercept(context, {
            handle: () => boundDefer(() => chain(context, i + 1, call)),
          } satisfies CallHandler),
        );

  async function run(req: object, res: object, next: (err?: unknown) => void): Promise<void> {
    const args = [req, res, next];
    try {
      // RouterExecutionContext.create's handler, for @Req() req, @Res() res
      if (guards.length > 0) {
        const allowed = await guardsConsumer.tryActivate(guards, args, instance, method, 'http');
        if (!allowed) throw new ForbiddenException(FORBIDDEN_MESSAGE);
      }
      adapter.status(res, status);
      if (interceptors.length === 0) {
        await method.call(instance, req, res);
        return;
      }
      const context = new ExecutionContextHost(args, controller, method);
      context.setType('http');
      const call = () => method.call(instance, req, res);
      await lastValueFrom(boundDefer(() => chain(context, 0, call)));
    } catch (e) {
      // RouterProxy.createProxy
      exceptions.next(e as Error, new ExecutionContextHost(args));
    }
  }

  return {
    handler: (req, res, next) => {
      // the route layer's promise handling: a rejection goes to next (Layer.handleRequest)
      run(req, res, next).catch((err: unknown) => next(err ?? new Error('Rejected promise')));
    },
  };
}

/**
 * `defer(AsyncResource.bind(factory))`: the factory runs in the async context of the call. Built
 * from the resource `AsyncResource.bind` makes (same type name, `runInAsyncScope(factory, this)`
 * as its bound function calls) without the bound function itself, whose `length` and deprecated
 * `asyncResource` accessors (two `util.deprecate` wrappers and a `defineProperties` per bind, six
 * binds per read) were ≈ 6 % of the gateway's allocations on the read path and nobody reads them.
 */
function boundDefer(factory: () => Observable<unknown>): Observable<unknown> {
  const resource = new AsyncResource('bound-anonymous-fn');
  return defer(function (this: unknown) {
    return resource.runInAsyncScope(factory, this);
  });
}

/** An interceptor's answer: an Observable as it is, a Promise of one flattened (Nest's mergeAll). */
function flattened(intercept: () => unknown): Observable<unknown> {
  const out = intercept();
  if (isObservable(out)) return out;
  return from(Promise.resolve(out) as Promise<Observable<unknown>>).pipe(mergeAll());
}

/**
 * The method's value once settled (InterceptorsConsumer.transformDeferred over the handler): called
 * on subscription, a thenable awaited, an Observable value followed, anything else emitted once.
 */
function settled(call: () => unknown): Observable<unknown> {
  return new Observable((subscriber) => {
    let inner: { unsubscribe(): void } | undefined;
    Promise.resolve()
      .then(call)
      .then((value) => {
        if (subscriber.closed) return;
        inner = from(isObservable(value) ? value : Promise.resolve(value)).subscribe(subscriber);
      })
      .catch((err: unknown) => {
        if (!subscriber.closed) subscriber.error(err);
      });
    return () => inner?.unsubscribe();
  });
}

/** The controller's module key, instance and wrapper id, if it is one static controller. */
function wrapperOf(
  container: NestContainer,
  controller: Type<object>,
): { moduleKey: string; instance: object; inquirerId: string } | undefined {
  const hits: { moduleKey: string; instance: object; inquirerId: string }[] = [];
  for (const [moduleKey, module] of container.getModules()) {
    for (const wrapper of module.controllers.values()) {
      if (wrapper.metatype !== controller) continue;
      if (!wrapper.isDependencyTreeStatic() || !wrapper.instance) return undefined;
      hits.push({ moduleKey, instance: wrapper.instance as object, inquirerId: wrapper.id });
    }
  }
  return hits.length === 1 ? hits[0] : undefined;
}

/** Why the method's metadata is more than this reproduces; undefined when it is `@Req, @Res`. */
function unusualMetadata(
  config: ApplicationConfig,
  controller: Type<object>,
  method: (...args: unknown[]) => unknown,
  methodName: string,
): string | undefined {
  if (config.getVersioning()) return 'versioning enabled';
  for (const key of [HOST_METADATA, VERSION_METADATA]) {
    if (Reflect.getMetadata(key, controller) !== undefined) return `controller ${key}`;
  }
  const onMethod = [
    HTTP_CODE_METADATA,
    HEADERS_METADATA,
    REDIRECT_METADATA,
    RENDER_METADATA,
    SSE_METADATA,
    VERSION_METADATA,
  ];
  for (const key of onMethod) {
    if (Reflect.getMetadata(key, method) !== undefined) return `method ${key}`;
  }
  if (Reflect.getMetadata(RESPONSE_PASSTHROUGH_METADATA, controller, methodName) !== undefined)
    return 'response passthrough';
  const params = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, methodName) ?? {}) as Record<
    string,
    { index: number; data?: unknown; pipes?: unknown[] }
  >;
  const expected: Record<string, number> = {
    [`${RouteParamtypes.REQUEST}:0`]: 0,
    [`${RouteParamtypes.RESPONSE}:1`]: 1,
  };
  const keys = Object.keys(params);
  if (keys.length !== 2) return 'parameters other than @Req(), @Res()';
  for (const key of keys) {
    const p = params[key]!;
    if (expected[key] !== p.index || p.data !== undefined || (p.pipes ?? []).length > 0)
      return `parameter ${key}`;
  }
  return undefined;
}
