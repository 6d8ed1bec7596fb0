// How .proto files are loaded for Nest's gRPC transport (server and clients), aligned with ts-proto:
// - keepCase: false       -> lowerCamelCase fields, like ts-proto's generated interfaces
// - longs: Number         -> int64 as number (ts-proto forceLong=number)
// - enums: (numbers)      -> ts-proto numeric enums
// - defaults/arrays/objects: true -> scalars always present with their zero value, repeated = [],
//   maps = {} — ts-proto types them as non-optional
// - unset message fields: the loader yields null, ts-proto types `T | undefined`; normalised to
//   undefined (see normalizePackageDefinition)
// - oneofs: false         -> no virtual "which member is set" property (ts-proto's oneof=properties
//   typing has no such key; members are optional properties); proto3 `optional` fields stay absent
//   when unset, exactly as ts-proto's `field?: T`
// - field names: ts-proto's camelCase (`breached_18_weeks` → `breached18Weeks`), not protobufjs'
//   (`breached_18Weeks`, which leaves "_1" alone): otherwise the generated interface's field is
//   silently dropped on the wire (see withTsProtoFieldNames)
import type { Options, PackageDefinition } from '@grpc/proto-loader';
import { loadSync } from '@grpc/proto-loader';
import { PROTO_ROOT } from '@trellis/contracts';
import { util as protobufUtil } from 'protobufjs';

export const HEALTH_PROTO = 'grpc/health/v1/health.proto';

export function grpcLoaderOptions(
  protoRoot: string = PROTO_ROOT,
): Options & { includeDirs: string[] } {
  return {
    keepCase: false,
    longs: Number,
    defaults: true,
    arrays: true,
    objects: true,
    oneofs: false,
    // the service's root first, then the shared contracts (grpc.health.v1, google.rpc, trellis.common)
    includeDirs: [...new Set([protoRoot, PROTO_ROOT])],
  };
}

/** Loads proto files (paths relative to the proto root) with the Trellis loader options, normalised. */
export function loadProtoPackageDefinition(
  protoFiles: string[],
  protoRoot: string = PROTO_ROOT,
): PackageDefinition {
  return normalizePackageDefinition(
    withTsProtoFieldNames(() => loadSync(protoFiles, grpcLoaderOptions(protoRoot))),
  );
}

/** ts-proto's field name for a proto field: every `_`-separated word after the first capitalised. */
export function tsProtoFieldName(protoName: string): string {
  return protoName
    .split('_')
    .map((word, i) => (i === 0 ? word : word.charAt(0).toUpperCase() + word.slice(1)))
    .join('');
}

/**
 * Runs a (synchronous) proto load with protobufjs' camelCase swapped for ts-proto's, so the
 * loaded message fields carry exactly the names of the generated interfaces the services fill.
 */
export function withTsProtoFieldNames<T>(load: () => T): T {
  const original = protobufUtil.camelCase;
  protobufUtil.camelCase = tsProtoFieldName;
  try {
    return load();
  } finally {
    protobufUtil.camelCase = original;
  }
}

interface MethodLike {
  requestDeserialize: (buf: Buffer) => unknown;
  responseDeserialize: (buf: Buffer) => unknown;
  path?: string;
}

const NORMALISED = Symbol.for('trellis.grpc.normalised');

/** Wraps every method's (de)serialisers so unset message fields arrive as undefined, not null. */
export function normalizePackageDefinition(def: PackageDefinition): PackageDefinition {
  for (const value of Object.values(def)) {
    if (typeof value !== 'object' || value === null || 'format' in value) continue; // message/enum types
    for (const method of Object.values(value as Record<string, MethodLike>)) {
      if (typeof method?.requestDeserialize !== 'function') continue;
      const m = method as MethodLike & { [NORMALISED]?: true };
      if (m[NORMALISED]) continue;
      const req = m.requestDeserialize;
      const res = m.responseDeserialize;
      m.requestDeserialize = (buf) => nullsToUndefined(req(buf));
      m.responseDeserialize = (buf) => nullsToUndefined(res(buf));
      m[NORMALISED] = true;
    }
  }
  return def;
}

export function nullsToUndefined<T>(value: T): T {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = nullsToUndefined(value[i]);
    return value;
  }
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    const obj = value as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      const v = obj[key];
      if (v === null) obj[key] = undefined;
      else if (typeof v === 'object') obj[key] = nullsToUndefined(v);
    }
  }
  return value;
}

/** Fully-qualified service names ("trellis.identity.v1.PatientService") found in a package definition. */
export function serviceNames(def: PackageDefinition, packages?: string[]): string[] {
  return Object.entries(def)
    .filter(([, v]) => typeof v === 'object' && v !== null && !('format' in v))
    .map(([name]) => name)
    .filter((name) => !packages || packages.some((p) => name.startsWith(p + '.')));
}
