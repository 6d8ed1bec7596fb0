/** The logging surface the events lib needs; a pino logger satisfies it. */
export interface EventsLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => undefined;

/** Default: silent (services pass their pino logger). */
export const silentLogger: EventsLogger = { debug: noop, info: noop, warn: noop, error: noop };
