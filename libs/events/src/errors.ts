/** A message that can never be handled (bad envelope, undecodable payload): dead-lettered at once. */
export class PoisonMessageError extends Error {
  override readonly name: string = 'PoisonMessageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The envelope is not a valid Trellis CloudEvent in Kafka binary mode. */
export class InvalidEventError extends PoisonMessageError {
  override readonly name: string = 'InvalidEventError';
}

/** An event was decoded as a type it is not (ce_type differs). */
export class EventTypeMismatchError extends PoisonMessageError {
  override readonly name: string = 'EventTypeMismatchError';
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
