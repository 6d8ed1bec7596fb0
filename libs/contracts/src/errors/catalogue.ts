// A platform's error vocabulary is part of its public contract, like its protos: a supplier (and
// the gateway's FHIR facade) switches on google.rpc.ErrorInfo's reason under the platform's domain,
// and each reason is always sent with the same status. The platforms build their error classes
// from these catalogues (@trellis/service-kit codedError); docs/errors.md lists them for suppliers.

/** A reason (ErrorInfo.reason) and the kind it is sent with (a gRPC canonical status name). */
export type ErrorCodeEntry = readonly [code: string, kind: string];

/** Names → reason and kind, composable by spread (`...VERSION_CONFLICT_ERROR_CODE`). */
export type ErrorCodeTable = Readonly<Record<string, ErrorCodeEntry>>;

/** A platform's error catalogue: ErrorInfo.domain `trellis.<domain>` and its reasons by name. */
export interface ErrorCatalogue {
  readonly domain: string;
  readonly codes: ErrorCodeTable;
}
