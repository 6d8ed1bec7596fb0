import type { NestMiddleware } from '@nestjs/common';
import { urlencoded, type NextFunction, type Request, type Response } from 'express';

/** Largest token request body: a client assertion is ~1 KB; anything near this is not a client. */
export const TOKEN_BODY_MAX_BYTES = 16_384;
const FORM = 'application/x-www-form-urlencoded';

function refuse(res: Response, status: number, description: string): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
  res.status(status).json({ error: 'invalid_request', error_description: description });
}

/**
 * The token endpoint's body (RFC 6749 §3.2, §4.4): application/x-www-form-urlencoded only (JSON
 * and anything else: 400 invalid_request), at most `maxBytes` (413), a few parameters. Errors are
 * RFC 6749 JSON like every answer of this endpoint.
 */
export function tokenBodyMiddleware(maxBytes = TOKEN_BODY_MAX_BYTES): NestMiddleware['use'] {
  const parse = urlencoded({
    extended: false,
    limit: maxBytes,
    parameterLimit: 20,
    type: () => true,
  });
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'POST') return next();
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > maxBytes) return refuse(res, 413, `request body exceeds ${maxBytes} bytes`);
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== FORM) return refuse(res, 400, `the request body must be ${FORM}`);
    parse(req, res, (err?: unknown) => {
      if (!err) return next();
      const status = (err as { status?: number }).status;
      if (status === 413)
        return refuse(res, 413, `request body exceeds ${maxBytes} bytes or 20 parameters`);
      refuse(res, 400, 'the request body is not a readable form');
    });
  };
}
