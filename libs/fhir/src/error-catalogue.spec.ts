// docs/errors.md lists, for suppliers, every reason the platforms' catalogues (@trellis/contracts)
// declare and what a client receives for it: the gRPC status, and through the gateway's FHIR
// facade the HTTP status and the OperationOutcome issue (fhirErrorFromPlatform, the real mapping).
// The list between the markers is rendered from the catalogues: this spec fails when the document
// disagrees; WRITE_ERROR_CATALOGUE=1 rewrites it (then prettier aligns its tables).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { ERROR_CATALOGUES, type ErrorCatalogue } from '@trellis/contracts';
import { STATUS_TABLE } from '@trellis/service-kit';

import { fhirErrorFromPlatform } from './outcome';

const DOC = join(__dirname, '../../../docs/errors.md');
const START = '<!-- error-catalogue:start (rendered from @trellis/contracts; do not edit) -->';
const END = '<!-- error-catalogue:end -->';

function kindRow(kind: string) {
  if (!(kind in STATUS_TABLE)) throw new Error(`unknown error kind ${kind}`);
  return STATUS_TABLE[kind as keyof typeof STATUS_TABLE];
}

function catalogueSection({ domain, codes }: ErrorCatalogue): string {
  const reasons = new Map(Object.values(codes).map(([code, kind]) => [code, kind]));
  const rows = [...reasons].map(([reason, kind]) => {
    const grpc = kindRow(kind).grpc;
    const outcome = fhirErrorFromPlatform(
      { code: grpc, message: reason, reason, fieldViolations: [] },
      'Resource',
    );
    const issue = outcome.issues[0];
    return `| \`${reason}\` | \`${kind}\` (${grpc}) | ${outcome.status} | \`${issue?.code}\` \`${issue?.rule}\` |`;
  });
  return [
    `### \`trellis.${domain}\``,
    '',
    '| reason | gRPC status | HTTP (FHIR) | OperationOutcome issue code, rule |',
    '| --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

function renderedCatalogue(): string {
  return [
    START,
    '',
    ...ERROR_CATALOGUES.map(catalogueSection).join('\n\n').split('\n'),
    '',
    END,
  ].join('\n');
}

/** A table line with its cells trimmed (prettier pads the columns of the document's tables). */
function normalised(markdown: string): string[] {
  return markdown.split('\n').map((line) =>
    line.startsWith('|')
      ? line
          .split('|')
          .map((cell) => cell.trim().replace(/^-+$/, '---'))
          .join('|')
      : line,
  );
}

describe('docs/errors.md', () => {
  it('lists every reason of the platforms’ catalogues as a client receives it', () => {
    const doc = readFileSync(DOC, 'utf8');
    const start = doc.indexOf(START);
    const end = doc.indexOf(END);
    expect(start).toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(start);
    const documented = doc.slice(start, end + END.length);
    const rendered = renderedCatalogue();
    if (process.env['WRITE_ERROR_CATALOGUE'] === '1')
      writeFileSync(DOC, doc.replace(documented, rendered));
    else expect(normalised(documented)).toEqual(normalised(rendered));
  });
});
