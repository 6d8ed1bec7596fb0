import { EventTypeMismatchError, InvalidEventError } from './errors';

/** CloudEvents 1.0, Kafka protocol binding, binary content mode. */
export const CE_SPECVERSION = '1.0';
export const PROTOBUF_CONTENT_TYPE = 'application/protobuf';

/** Header names (Kafka binding: `ce_` + attribute; datacontenttype travels as `content-type`). */
export const CE_HEADERS = {
  specversion: 'ce_specversion',
  id: 'ce_id',
  source: 'ce_source',
  type: 'ce_type',
  time: 'ce_time',
  subject: 'ce_subject',
  dataschema: 'ce_dataschema',
  contentType: 'content-type',
  odscode: 'ce_odscode',
  region: 'ce_region',
  regions: 'ce_regions',
  correlationid: 'ce_correlationid',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

/** The context attributes of a Trellis event (payload travels separately as protobuf bytes). */
export interface CloudEventAttributes {
  id: string;
  source: string;
  type: string;
  /** RFC 3339 timestamp. */
  time: string;
  subject?: string | undefined;
  dataschema?: string | undefined;
  datacontenttype?: string | undefined;
  /** Extension: ODS code of the organisation the event concerns. */
  odscode?: string | undefined;
  /** Extension: region of that organisation. */
  region?: string | undefined;
  /** Extension: every region the event concerns (multi-region events). */
  regions?: readonly string[] | undefined;
  /** Extension: correlation id of the request that caused the change. */
  correlationid?: string | undefined;
  traceparent?: string | undefined;
  tracestate?: string | undefined;
}

/** Header value as the port delivers it. */
export type HeaderValue = string | Uint8Array | ReadonlyArray<string | Uint8Array> | undefined;

const REGION_LIST_SEPARATOR = ',';

/** Attributes → Kafka headers (binary mode). Extra headers never override ce_* ones. */
export function toCloudEventHeaders(
  attrs: CloudEventAttributes,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(extra)) {
    if (!name.startsWith('ce_') && name !== CE_HEADERS.contentType) headers[name] = value;
  }
  headers[CE_HEADERS.specversion] = CE_SPECVERSION;
  headers[CE_HEADERS.id] = attrs.id;
  headers[CE_HEADERS.source] = attrs.source;
  headers[CE_HEADERS.type] = attrs.type;
  headers[CE_HEADERS.time] = attrs.time;
  headers[CE_HEADERS.contentType] = attrs.datacontenttype ?? PROTOBUF_CONTENT_TYPE;
  if (attrs.subject) headers[CE_HEADERS.subject] = attrs.subject;
  if (attrs.dataschema) headers[CE_HEADERS.dataschema] = attrs.dataschema;
  if (attrs.odscode) headers[CE_HEADERS.odscode] = attrs.odscode;
  if (attrs.region) headers[CE_HEADERS.region] = attrs.region;
  if (attrs.regions && attrs.regions.length > 0) {
    headers[CE_HEADERS.regions] = attrs.regions.join(REGION_LIST_SEPARATOR);
  }
  if (attrs.correlationid) headers[CE_HEADERS.correlationid] = attrs.correlationid;
  if (attrs.traceparent) headers[CE_HEADERS.traceparent] = attrs.traceparent;
  if (attrs.tracestate) headers[CE_HEADERS.tracestate] = attrs.tracestate;
  return headers;
}

/** Header value → string (kafkajs gives Buffers; repeated headers keep the last value). */
export function headerString(value: HeaderValue): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  const last = value[value.length - 1];
  return last === undefined ? undefined : headerString(last);
}

/** All headers as strings. */
export function stringHeaders(
  headers: Readonly<Record<string, HeaderValue>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const s = headerString(value);
    if (s !== undefined) out[name] = s;
  }
  return out;
}

/**
 * Kafka headers → attributes. Throws InvalidEventError (a poison message) when the envelope is
 * not CloudEvents 1.0 binary mode with protobuf content.
 */
export function parseCloudEventHeaders(
  headers: Readonly<Record<string, HeaderValue>>,
): CloudEventAttributes {
  const h = stringHeaders(headers);
  const problems: string[] = [];
  const required = (name: string): string => {
    const v = h[name];
    if (v === undefined || v === '') problems.push(`missing header ${name}`);
    return v ?? '';
  };
  const specversion = required(CE_HEADERS.specversion);
  if (specversion && specversion !== CE_SPECVERSION) {
    problems.push(`unsupported ${CE_HEADERS.specversion} ${JSON.stringify(specversion)}`);
  }
  const id = required(CE_HEADERS.id);
  const source = required(CE_HEADERS.source);
  const type = required(CE_HEADERS.type);
  const time = required(CE_HEADERS.time);
  if (time && Number.isNaN(Date.parse(time))) problems.push(`invalid ${CE_HEADERS.time} ${time}`);
  const contentType = h[CE_HEADERS.contentType];
  if (contentType !== undefined && contentType !== PROTOBUF_CONTENT_TYPE) {
    problems.push(`unsupported content-type ${JSON.stringify(contentType)}`);
  }
  if (problems.length > 0)
    throw new InvalidEventError(`invalid CloudEvent: ${problems.join('; ')}`);
  const regions = h[CE_HEADERS.regions];
  return {
    id,
    source,
    type,
    time,
    datacontenttype: contentType ?? PROTOBUF_CONTENT_TYPE,
    subject: h[CE_HEADERS.subject],
    dataschema: h[CE_HEADERS.dataschema],
    odscode: h[CE_HEADERS.odscode],
    region: h[CE_HEADERS.region],
    regions: regions ? regions.split(REGION_LIST_SEPARATOR).filter((r) => r !== '') : [],
    correlationid: h[CE_HEADERS.correlationid],
    traceparent: h[CE_HEADERS.traceparent],
    tracestate: h[CE_HEADERS.tracestate],
  };
}

/** Encode/decode functions of a protobuf message (a ts-proto generated `MessageFns` fits). */
export interface MessageCodec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

/** Metadata of one event occurrence besides its payload. */
export interface EventOccurrence {
  /** Kafka key: the patient's NHS number (keeps one patient's events in order). */
  key: string | null;
  subject?: string;
  odsCode?: string;
  region?: string;
  regions?: readonly string[];
  correlationId?: string;
  id?: string;
  time?: Date;
  headers?: Readonly<Record<string, string>>;
}

/** What the outbox stores for one event (the payload already encoded). */
export interface OutboxEventInput extends EventOccurrence {
  topic: string;
  /** ce_type, e.g. `uk.nhs.trellis.identity.PatientRegistered.v1`. */
  type: string;
  payload: Uint8Array;
  dataschema?: string;
}

/** One declared event type: ce_type, its topic and the protobuf codec of its payload. */
export interface EventType<T> {
  readonly type: string;
  readonly topic: string;
  readonly dataschema: string | undefined;
  encode(message: T): Uint8Array;
  /** Decode a payload; throws PoisonMessageError when the bytes are not this message. */
  decode(bytes: Uint8Array): T;
  /** True when an event (anything with a ce type) is of this type. */
  is(event: { readonly type: string }): boolean;
  /** Build the outbox input for one occurrence of this event. */
  occurrence(message: T, meta: EventOccurrence): OutboxEventInput;
}

const CE_TYPE_PATTERN = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*\.[A-Z][A-Za-z0-9]*\.v[0-9]+$/;

export function defineEventType<T>(def: {
  type: string;
  topic: string | { readonly name: string };
  codec: MessageCodec<T>;
  dataschema?: string;
}): EventType<T> {
  if (!CE_TYPE_PATTERN.test(def.type)) {
    throw new Error(
      `event type ${JSON.stringify(def.type)} must look like uk.nhs.trellis.<domain>.<EventName>.v<N>`,
    );
  }
  const topic = typeof def.topic === 'string' ? def.topic : def.topic.name;
  const eventType: EventType<T> = {
    type: def.type,
    topic,
    dataschema: def.dataschema,
    encode: (message) => def.codec.encode(message).finish(),
    decode: (bytes) => {
      try {
        return def.codec.decode(bytes);
      } catch (cause) {
        throw new InvalidEventError(`payload is not a valid ${def.type}`, { cause });
      }
    },
    is: (event) => event.type === def.type,
    occurrence: (message, meta) => ({
      ...meta,
      topic,
      type: def.type,
      payload: def.codec.encode(message).finish(),
      ...(def.dataschema ? { dataschema: def.dataschema } : {}),
    }),
  };
  return eventType;
}

/** An event as a consumer receives it. */
export interface ReceivedEvent extends CloudEventAttributes {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** Kafka record timestamp (ms since epoch; producer create time), 0 when unknown. */
  readonly timestamp: number;
  readonly key: string | null;
  readonly data: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
  /** Decode the payload as `eventType`; throws EventTypeMismatchError if ce_type differs. */
  decode<T>(eventType: EventType<T>): T;
}

export function toReceivedEvent(input: {
  topic: string;
  partition: number;
  offset: string;
  timestamp?: number;
  key: Uint8Array | string | null;
  value: Uint8Array | null;
  headers: Readonly<Record<string, HeaderValue>>;
}): ReceivedEvent {
  const attrs = parseCloudEventHeaders(input.headers);
  const data = input.value ?? new Uint8Array();
  return {
    ...attrs,
    topic: input.topic,
    partition: input.partition,
    offset: input.offset,
    timestamp: input.timestamp ?? 0,
    key: input.key === null ? null : (headerString(input.key) ?? null),
    data,
    headers: stringHeaders(input.headers),
    decode<T>(eventType: EventType<T>): T {
      if (!eventType.is(attrs)) {
        throw new EventTypeMismatchError(
          `event ${attrs.id} is ${attrs.type}, not ${eventType.type}`,
        );
      }
      return eventType.decode(data);
    },
  };
}

/** Route events to typed handlers by ce_type. Unknown types are skipped (or fail, if asked). */
export function routeEvents<Tx>(
  routes: ReadonlyArray<EventRoute<Tx>>,
  options: { onUnknown?: 'skip' | 'fail' } = {},
): (event: ReceivedEvent, tx: Tx) => Promise<void> {
  const byType = new Map<string, EventRoute<Tx>>();
  for (const route of routes) {
    if (byType.has(route.type)) throw new Error(`two routes for event type ${route.type}`);
    byType.set(route.type, route);
  }
  return async (event, tx) => {
    const route = byType.get(event.type);
    if (!route) {
      if (options.onUnknown === 'fail') {
        throw new EventTypeMismatchError(`no handler for event type ${event.type}`);
      }
      return;
    }
    await route.handle(event, tx);
  };
}

export interface EventRoute<Tx> {
  readonly type: string;
  handle(event: ReceivedEvent, tx: Tx): Promise<void>;
}

/** One typed route: `on(PatientRegistered, async (data, event, tx) => ...)`. */
export function on<T, Tx>(
  eventType: EventType<T>,
  handler: (data: T, event: ReceivedEvent, tx: Tx) => Promise<void>,
): EventRoute<Tx> {
  return {
    type: eventType.type,
    handle: (event, tx) => handler(event.decode(eventType), event, tx),
  };
}
