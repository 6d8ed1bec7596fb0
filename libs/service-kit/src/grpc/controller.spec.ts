import { Metadata } from '@grpc/grpc-js';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PATTERN_METADATA } from '@nestjs/microservices/constants';

import { grpcController, grpcControllerFor, type GrpcHandlers } from './controller';

interface GreeterController {
  greet(request: { name: string }, metadata?: Metadata): Promise<{ text: string }>;
  count(request: { n: number }, metadata?: Metadata): { total: number };
}

/** A ts-proto message's functions, as far as the handler types read them. */
const message = <T>() => ({
  decode: (): T => {
    throw new Error('not decoded in these tests');
  },
});
const unary = <Req, Res>() => ({
  requestType: message<Req>(),
  responseType: message<Res>(),
  requestStream: false,
  responseStream: false,
});
const GreeterDefinition = {
  name: 'Greeter',
  methods: {
    greet: unary<{ name: string }, { text: string }>(),
    count: unary<{ n: number }, { total: number }>(),
  },
};
const PREFIX = Symbol('prefix');

@Injectable()
class Greetings {
  word(): string {
    return 'Hello';
  }
}

const GreeterGrpcController = grpcController(
  GreeterDefinition,
  [Greetings, PREFIX],
  // request and response types come from the definition
  (greetings: Greetings, prefix: string) => ({
    greet: async (req, md) => ({
      text: `${prefix}${greetings.word()} ${req.name} (${String(md?.get('x-who')[0])})`,
    }),
    count: (req) => ({ total: req.n + 1 }),
  }),
);

describe('grpcController', () => {
  it('registers every method of the definition as a gRPC handler of its service', () => {
    const proto = GreeterGrpcController.prototype as Record<string, unknown>;
    for (const method of ['greet', 'count']) {
      const handler = proto[method] as (...args: unknown[]) => unknown;
      expect(handler.name).toBe(method);
      expect(Reflect.getMetadata(PATTERN_METADATA, handler)).toEqual([
        { service: 'Greeter', rpc: method, streaming: 'no_stream' },
      ]);
    }
    expect(GreeterGrpcController.name).toBe('GreeterController');
  });

  it('injects its dependencies and passes request and metadata to the handlers', async () => {
    @Module({
      controllers: [GreeterGrpcController],
      providers: [Greetings, { provide: PREFIX, useValue: '> ' }],
    })
    class GreeterModule {}
    const app = await NestFactory.createApplicationContext(GreeterModule, { logger: false });
    try {
      const controller = app.get<GreeterController>(GreeterGrpcController);
      const md = new Metadata();
      md.set('x-who', 'tester');
      await expect(controller.greet({ name: 'Ada' }, md)).resolves.toEqual({
        text: '> Hello Ada (tester)',
      });
      expect(controller.count({ n: 41 })).toEqual({ total: 42 });
    } finally {
      await app.close();
    }
  });

  it('takes a handler map typed by the ts-proto controller interface too', () => {
    const typed = grpcController(GreeterDefinition, [], (): GrpcHandlers<GreeterController> => ({
      greet: (req) => Promise.resolve({ text: req.name }),
      count: (req) => ({ total: req.n }),
    }));
    expect(typed.name).toBe('GreeterController');
    // @ts-expect-error a handler map without one of the definition's methods does not typecheck
    grpcController(GreeterDefinition, [], () => ({
      count: (req: { n: number }) => ({ total: req.n }),
    }));
  });

  it('refuses a streaming method', () => {
    const streaming = {
      name: 'Feed',
      methods: { watch: { ...unary<object, object>(), responseStream: true } },
    };
    expect(() => grpcController(streaming, [], () => ({ watch: () => ({}) }))).toThrow(
      'Feed.watch: grpcController serves unary methods only',
    );
  });
});

describe('grpcControllerFor', () => {
  const whoCalls = (md: Metadata | undefined): { who: string } => {
    const who = md?.get('x-who')[0];
    if (typeof who !== 'string') throw new Error('anonymous call');
    return { who };
  };
  const CallerGreeter = grpcControllerFor(whoCalls)(
    GreeterDefinition,
    [Greetings],
    (greetings: Greetings) => ({
      greet: async (req, { who }) => ({ text: `${greetings.word()} ${req.name} (${who})` }),
      count: async (req, { who }) => ({ total: req.n + who.length }),
    }),
  );

  it("hands the handlers the call read from the metadata; the reader's refusal rejects the call", async () => {
    @Module({ controllers: [CallerGreeter], providers: [Greetings] })
    class CallerModule {}
    const app = await NestFactory.createApplicationContext(CallerModule, { logger: false });
    try {
      const controller = app.get<GreeterController>(CallerGreeter);
      const md = new Metadata();
      md.set('x-who', 'tester');
      await expect(controller.greet({ name: 'Ada' }, md)).resolves.toEqual({
        text: 'Hello Ada (tester)',
      });
      await expect(controller.greet({ name: 'Ada' }, new Metadata())).rejects.toThrow(
        'anonymous call',
      );
      expect(CallerGreeter.name).toBe('GreeterController');
    } finally {
      await app.close();
    }
  });
});
