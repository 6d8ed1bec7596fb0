import { recordType } from '@trellis/codes';
import { fromTimestamp, protoStrings, records, toTimestamp } from '@trellis/contracts';
import { currentCorrelationId, grpcController, type GrpcHandlers } from '@trellis/service-kit';

import { actorOf } from '../access/actor';
import type { StoredPointer } from './records.repository';
import { RecordLocator, type PointerAtVersion } from './records.service';

const { PointerStatus } = records.v1;

const STATUS: Record<string, records.v1.PointerStatus> = {
  current: PointerStatus.POINTER_STATUS_CURRENT,
  superseded: PointerStatus.POINTER_STATUS_SUPERSEDED,
  deleted: PointerStatus.POINTER_STATUS_DELETED,
};

const STATUS_NAME = new Map<number, string>(
  Object.entries(STATUS).map(([name, value]) => [value, name]),
);

function versionToPb(v: PointerAtVersion): records.v1.PointerVersion {
  return {
    pointer: pointerToPb(v.pointer),
    change: v.change,
    recordedAt: toTimestamp(v.recordedAt),
  };
}

export function pointerToPb(p: StoredPointer): records.v1.Pointer {
  return {
    id: p.id,
    version: p.version,
    status: STATUS[p.status] ?? PointerStatus.POINTER_STATUS_UNSPECIFIED,
    nhsNumber: p.nhsNumber,
    typeCode: p.typeCode,
    typeDisplay: recordType(p.typeCode)?.display ?? '',
    custodianOdsCode: p.custodianOds,
    authorOdsCode: p.authorOds ?? '',
    content: {
      url: p.url,
      contentType: p.contentType,
      size: p.size === null ? 0 : Number(p.size),
      hash: p.hash ?? '',
      title: p.title ?? '',
      creation: p.creation ?? '',
    },
    ...protoStrings(
      p,
      'masterIdentifierSystem',
      'masterIdentifierValue',
      'replacesId',
      'supersededById',
    ),
    createdAt: toTimestamp(p.createdAt),
    updatedAt: toTimestamp(p.updatedAt),
  };
}

/** RecordLocatorService over gRPC: maps proto ⇄ domain and delegates; no rules here. */
export const RecordLocatorGrpcController = grpcController(
  records.v1.RecordLocatorServiceDefinition,
  [RecordLocator],
  (locator: RecordLocator): GrpcHandlers<records.v1.RecordLocatorServiceController> => ({
    createPointer: async (req, metadata) => {
      const r = await locator.create(
        actorOf(metadata),
        req.pointer,
        req.clientKey,
        currentCorrelationId(),
      );
      return { pointer: pointerToPb(r.pointer), replayed: r.replayed };
    },
    supersedePointer: async (req, metadata) => {
      const r = await locator.supersede(
        actorOf(metadata),
        req.replacesId,
        req.pointer,
        req.clientKey,
        currentCorrelationId(),
        req.expectedVersion,
      );
      return {
        pointer: pointerToPb(r.pointer),
        superseded: pointerToPb(r.superseded),
        replayed: r.replayed,
      };
    },
    deletePointer: async (req, metadata) => {
      const p = await locator.delete(
        actorOf(metadata),
        req.id,
        currentCorrelationId(),
        req.expectedVersion,
      );
      return { pointer: pointerToPb(p) };
    },
    getPointer: async (req, metadata) => {
      return { pointer: pointerToPb(await locator.get(actorOf(metadata), req.id)) };
    },
    getPointerVersion: async (req, metadata) => {
      const v = await locator.getVersion(actorOf(metadata), req.id, req.version);
      return { version: versionToPb(v) };
    },
    listPointerVersions: async (req, metadata) => {
      const r = await locator.listVersions(actorOf(metadata), req.id, {
        pageSize: req.page?.pageSize ?? 0,
        pageToken: req.page?.pageToken ?? '',
      });
      return { versions: r.versions.map(versionToPb), page: { nextPageToken: r.nextPageToken } };
    },
    searchPointers: async (req, metadata) => {
      const r = await locator.search(actorOf(metadata), {
        nhsNumber: req.nhsNumber,
        typeCodes: req.typeCodes,
        custodianOdsCode: req.custodianOdsCode,
        statuses: req.statuses.map((s) => STATUS_NAME.get(s) ?? 'unspecified'),
        ...(req.dateFrom ? { dateFrom: fromTimestamp(req.dateFrom) } : {}),
        ...(req.dateBefore ? { dateBefore: fromTimestamp(req.dateBefore) } : {}),
        pageSize: req.page?.pageSize ?? 0,
        pageToken: req.page?.pageToken ?? '',
      });
      return {
        pointers: r.pointers.map(pointerToPb),
        page: { nextPageToken: r.nextPageToken },
        nhsNumber: r.nhsNumber,
      };
    },
  }),
);
