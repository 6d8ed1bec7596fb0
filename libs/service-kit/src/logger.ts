// pino JSON logs carrying trace_id/span_id (OpenTelemetry) and correlation_id, plus a Nest LoggerService.
import type { LoggerService } from '@nestjs/common';
import { activeTraceIds } from '@trellis/telemetry';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config';
import { currentRequestContext } from './request-context';

export type { Logger };
export const LOGGER = Symbol.for('trellis.platform.logger');

export interface LoggerOptions {
  service: string;
  version?: string;
  level?: LogLevel;
  /** Defaults to stdout (sync writes keep ordering with process.exit). */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service, version: options.version },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [
          'authorization',
          '*.authorization',
          'headers.authorization',
          'password',
          '*.password',
        ],
        censor: '[redacted]',
      },
      mixin() {
        const ids = activeTraceIds();
        const ctx = currentRequestContext();
        return {
          ...(ids ? { trace_id: ids.traceId, span_id: ids.spanId } : {}),
          ...(ctx ? { correlation_id: ctx.correlationId } : {}),
        };
      },
    },
    options.destination ?? pino.destination({ fd: 1, sync: true }),
  );
}

/** Nest's LoggerService over pino; Nest's `context` becomes the `context` field. */
export class PinoLoggerService implements LoggerService {
  constructor(readonly pino: Logger) {}

  log(message: unknown, ...optional: unknown[]): void {
    this.write('info', message, optional);
  }
  error(message: unknown, ...optional: unknown[]): void {
    this.write('error', message, optional);
  }
  warn(message: unknown, ...optional: unknown[]): void {
    this.write('warn', message, optional);
  }
  debug(message: unknown, ...optional: unknown[]): void {
    this.write('debug', message, optional);
  }
  verbose(message: unknown, ...optional: unknown[]): void {
    this.write('trace', message, optional);
  }
  fatal(message: unknown, ...optional: unknown[]): void {
    this.write('fatal', message, optional);
  }

  private write(
    level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal',
    message: unknown,
    optional: unknown[],
  ): void {
    // Nest calls: (msg, context) or (msg, stack, context) for errors
    const context =
      typeof optional[optional.length - 1] === 'string'
        ? (optional[optional.length - 1] as string)
        : undefined;
    const stack =
      level === 'error' && optional.length >= 2 && typeof optional[0] === 'string'
        ? optional[0]
        : undefined;
    const fields: Record<string, unknown> = {};
    if (context) fields['context'] = context;
    if (stack) fields['stack'] = stack;
    if (message instanceof Error) {
      this.pino[level]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.pino[level]({ ...fields, ...(message as Record<string, unknown>) });
    } else {
      this.pino[level](fields, String(message));
    }
  }
}
