import type { Patient } from '@medplum/fhirtypes';
import { FhirError } from '@trellis/fhir';
import { applyPatch, JsonPatchError, type Operation } from 'fast-json-patch';

/** Members a patch may not touch: the server owns them (the URL, the type, the version). */
const PROTECTED = new Set(['id', 'resourceType', 'meta']);

/** Errors that say the patch document itself is malformed (RFC 5789: 400), not that it cannot apply. */
const MALFORMED = new Set([
  'SEQUENCE_NOT_AN_ARRAY',
  'OPERATION_NOT_AN_OBJECT',
  'OPERATION_OP_INVALID',
  'OPERATION_PATH_INVALID',
  'OPERATION_FROM_REQUIRED',
  'OPERATION_VALUE_REQUIRED',
  'OPERATION_VALUE_CANNOT_CONTAIN_UNDEFINED',
]);

/** Segments no FHIR element has; the library throws a bare TypeError on them. */
const PROTOTYPE = new Set(['__proto__', 'constructor', 'prototype']);

function segments(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function invalid(status: 400 | 422, rule: string, message: string, index?: number): FhirError {
  return FhirError.of(
    status,
    status === 400 ? 'structure' : 'processing',
    rule,
    message,
    index === undefined ? undefined : `Patch[${index}]`,
  );
}

/** The writes an operation makes: its `path`, and its `from` when a move removes it. */
function writtenPaths(op: Operation): string[] {
  if (op.op === 'test') return [];
  return op.op === 'move' ? [op.path, op.from] : [op.path];
}

/**
 * Applies an RFC 6902 patch to the current Patient and returns the patched copy: 400 for a
 * malformed patch document, 422 for a patch that touches id/resourceType/meta or the whole
 * document, whose `test` fails, or whose paths do not resolve. The current resource is not
 * changed; the result still has to pass the PUT body's validation.
 */
export function applyPatientPatch(current: Patient, patch: unknown): Patient {
  if (!Array.isArray(patch) || patch.length === 0) {
    throw invalid(400, 'patch.format', 'the body must be a non-empty JSON Patch array (RFC 6902)');
  }
  const ops = patch as unknown[];
  ops.forEach((raw, i) => {
    if (typeof raw !== 'object' || raw === null) return; // reported by the library below
    const op = raw as Operation;
    if (typeof op.path !== 'string') return;
    const from = (op as { from?: unknown }).from;
    for (const p of typeof from === 'string' ? [op.path, from] : [op.path]) {
      if (p !== '' && !p.startsWith('/')) {
        throw invalid(400, 'patch.format', `operation ${i}: "${p}" is not a JSON Pointer`, i);
      }
      if (segments(p).some((s) => PROTOTYPE.has(s))) {
        throw invalid(422, 'patch.unresolvable', `operation ${i}: no Patient element at ${p}`, i);
      }
    }
    for (const p of writtenPaths(op)) {
      if (typeof p !== 'string') continue;
      const member = p === '' ? undefined : segments(p)[0];
      if (member === undefined || PROTECTED.has(member)) {
        throw invalid(
          422,
          'patch.protected-path',
          `operation ${i} (${op.op} ${p || '/'}) may not change ${member ?? 'the whole resource'}: id, resourceType and meta belong to the server`,
          i,
        );
      }
    }
  });
  try {
    // validate every operation first, never mutate the caller's copy, refuse __proto__ writes
    return applyPatch(current, ops as Operation[], true, false, true).newDocument;
  } catch (err) {
    if (!(err instanceof JsonPatchError)) throw err;
    const i = err.index;
    if (MALFORMED.has(err.name)) {
      throw invalid(
        400,
        'patch.format',
        `operation ${i ?? '?'} is malformed: ${err.message.split('\n')[0]}`,
        i,
      );
    }
    if (err.name === 'TEST_OPERATION_FAILED') {
      throw invalid(
        422,
        'patch.test-failed',
        `operation ${i ?? '?'} (test ${i === undefined ? '' : String((ops[i] as Operation).path)}) failed: the resource does not hold the tested value`,
        i,
      );
    }
    throw invalid(
      422,
      'patch.unresolvable',
      `operation ${i ?? '?'} cannot be applied (${err.name}): ${err.message.split('\n')[0]}`,
      i,
    );
  }
}
