// gRPC server reflection that clients can use (grpcurl describe / list). proto-loader describes a
// package definition as one synthesised file per proto package ("trellis_common_v1.proto",
// "google_protobuf.proto") with an empty import list, so a client that builds descriptors from
// the answers cannot resolve `.google.protobuf.Timestamp` or `.trellis.common.v1.OrganisationRef`
// referenced from the service's file. Here every file gets the imports its references need.
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { PROTO_ROOT } from '@trellis/contracts';
import {
  FileDescriptorProto,
  type IDescriptorProto,
  type IFileDescriptorProto,
} from 'protobufjs/ext/descriptor';

import { grpcLoaderOptions, serviceNames } from './loader';

interface DescriptorLike extends IDescriptorProto {
  nestedType?: DescriptorLike[];
}

function filesOf(def: PackageDefinition): IFileDescriptorProto[] {
  const files = new Map<string, IFileDescriptorProto>();
  for (const value of Object.values(def)) {
    const protos = (value as { fileDescriptorProtos?: unknown }).fileDescriptorProtos;
    if (!Array.isArray(protos)) continue;
    for (const bin of protos as Uint8Array[]) {
      const file = FileDescriptorProto.decode(bin) as unknown as IFileDescriptorProto;
      if (file.name && !files.has(file.name)) files.set(file.name, file);
    }
  }
  return [...files.values()];
}

/** Fully-qualified names (no leading dot) declared by a file → the file's name. */
function declarations(files: IFileDescriptorProto[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of files) {
    const pkg = f.package ? `${f.package}.` : '';
    const message = (m: DescriptorLike, prefix: string) => {
      const fqn = `${prefix}${m.name ?? ''}`;
      out.set(fqn, f.name!);
      for (const n of m.nestedType ?? []) message(n, `${fqn}.`);
      for (const e of m.enumType ?? []) out.set(`${fqn}.${e.name ?? ''}`, f.name!);
    };
    for (const m of f.messageType ?? []) message(m as DescriptorLike, pkg);
    for (const e of f.enumType ?? []) out.set(`${pkg}${e.name ?? ''}`, f.name!);
    for (const s of f.service ?? []) out.set(`${pkg}${s.name ?? ''}`, f.name!);
  }
  return out;
}

/** Type names a file refers to (fields, extensions, method inputs/outputs), as written. */
function references(f: IFileDescriptorProto): string[] {
  const refs: string[] = [];
  const message = (m: DescriptorLike) => {
    for (const field of [...(m.field ?? []), ...(m.extension ?? [])])
      if (field.typeName) refs.push(field.typeName);
    for (const n of m.nestedType ?? []) message(n);
  };
  for (const m of f.messageType ?? []) message(m as DescriptorLike);
  for (const e of f.extension ?? []) if (e.typeName) refs.push(e.typeName);
  for (const s of f.service ?? [])
    for (const m of s.method ?? []) {
      if (m.inputType) refs.push(m.inputType);
      if (m.outputType) refs.push(m.outputType);
    }
  return refs;
}

/** The file declaring `ref` (absolute `.a.b.C`, or relative to the file's package scope). */
function resolve(ref: string, pkg: string, declared: Map<string, string>): string | undefined {
  if (ref.startsWith('.')) return declared.get(ref.slice(1));
  for (let scope = pkg; ; scope = scope.slice(0, Math.max(0, scope.lastIndexOf('.')))) {
    const hit = declared.get(scope ? `${scope}.${ref}` : ref);
    if (hit || !scope) return hit;
  }
}

/**
 * The package definition's file descriptors with complete import lists (`dependency`): each file
 * imports every other file that declares a type it references.
 */
export function reflectionFileDescriptors(def: PackageDefinition): IFileDescriptorProto[] {
  const files = filesOf(def);
  const declared = declarations(files);
  for (const f of files) {
    const deps = new Set(f.dependency ?? []);
    for (const ref of references(f)) {
      const file = resolve(ref, f.package ?? '', declared);
      if (file && file !== f.name) deps.add(file);
    }
    f.dependency = [...deps].sort();
  }
  return files;
}

/**
 * The proto files as reflection should describe them: field names as written in the .proto
 * (`ods_code`, not the camelCase the serving loader uses for ts-proto), so `grpcurl describe`
 * shows the contract and `grpcurl -d` takes the documented JSON.
 */
export function reflectionPackageDefinition(
  protoFiles: string[],
  protoRoot: string = PROTO_ROOT,
): PackageDefinition {
  return loadSync(protoFiles, { ...grpcLoaderOptions(protoRoot), keepCase: true });
}

/**
 * A ReflectionService over `def` whose answers resolve: its services listed, every file with the
 * imports its references need.
 */
export function createReflectionService(def: PackageDefinition): ReflectionService {
  const encoded = reflectionFileDescriptors(def).map((f) =>
    Buffer.from(FileDescriptorProto.encode(f).finish()),
  );
  // ReflectionService reads `fileDescriptorProtos` of each entry; one entry carrying every file
  const files = { __files: { fileDescriptorProtos: encoded } } as unknown as PackageDefinition;
  const services = serviceNames(def);
  return new ReflectionService(files, { services });
}
