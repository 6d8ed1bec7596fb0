import { FHIR_ID, FhirError } from '@trellis/fhir';
import type { Request } from 'express';

import { FHIR_PREFIX } from './fhir.registry';

// C0 controls and DEL: never part of an id, a search value or a header-borne value
const CONTROL = /[\u0000-\u001F\u007F]/;
const RESOURCE_TYPE = /^[A-Z][A-Za-z]{1,63}$/;

function bad(rule: string, message: string, expression?: string): FhirError {
  return FhirError.of(400, 'invalid', rule, message, expression);
}

/**
 * The request line of a FHIR interaction, checked before routing, auth, audit and the handlers:
 * path segments decode (percent-encoding) and carry no control characters, the `[id]` after a
 * resource type has the FHIR id syntax `[A-Za-z0-9\-\.]{1,64}`, query names and values carry no
 * control characters; the bare base is 404. Answers the refusal, or undefined when the request may
 * go on.
 */
export function fhirRequestProblem(req: Request): FhirError | undefined {
  const url = req.originalUrl ?? req.url;
  const q = url.indexOf('?');
  const path = (q < 0 ? url : url.slice(0, q)).replace(new RegExp(`^/${FHIR_PREFIX}/?`), '');
  if (path === '') {
    // the base itself serves no interaction (no batch/transaction): answered here, not by Nest
    return FhirError.of(
      404,
      'not-found',
      'http.not-found',
      `no interaction is served at the FHIR base (see /${FHIR_PREFIX}/metadata)`,
    );
  }
  const segments: string[] = [];
  for (const raw of path.split('/')) {
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return bad('http.bad-request', 'the URL path is not valid percent-encoded UTF-8');
    }
    if (CONTROL.test(seg))
      return bad('http.bad-request', 'the URL path contains a control character');
    segments.push(seg);
  }
  const [type, id] = segments;
  if (
    type !== undefined &&
    id !== undefined &&
    RESOURCE_TYPE.test(type) &&
    !id.startsWith('$') &&
    !id.startsWith('_') &&
    !FHIR_ID.test(id)
  ) {
    return bad(
      'fhir.id',
      `${type}/[id] must be a FHIR id: 1-64 letters, digits, "-" or "."`,
      `${type}.id`,
    );
  }
  const vid = segments[2] === '_history' ? segments[3] : undefined;
  if (vid !== undefined && vid !== '' && !FHIR_ID.test(vid)) {
    return bad(
      'fhir.id',
      `_history/[vid] must be a FHIR id`,
      `${type ?? 'Resource'}.meta.versionId`,
    );
  }
  if (q >= 0) {
    try {
      for (const [k, v] of new URLSearchParams(url.slice(q + 1))) {
        if (CONTROL.test(k) || CONTROL.test(v))
          return bad(
            'http.bad-request',
            `search parameter ${JSON.stringify(k.slice(0, 40))} contains a control character`,
            k.slice(0, 64),
          );
      }
    } catch {
      return bad('http.bad-request', 'the query string cannot be read');
    }
    if (/%(?![0-9A-Fa-f]{2})/.test(url.slice(q + 1)))
      return bad('http.bad-request', 'the query string is not valid percent-encoding');
  }
  return undefined;
}
