import { assertSchemaHasEventModels } from '@trellis/events';
import { join } from 'node:path';

describe('notifications schema', () => {
  it('keeps the event tables verbatim', () => {
    expect(() =>
      assertSchemaHasEventModels(join(__dirname, '../../prisma/schema.prisma')),
    ).not.toThrow();
  });
});
