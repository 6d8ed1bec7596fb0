import { events } from '@trellis/contracts';

import { domainEventTypes } from './domain-event-types';
import { TOPICS } from './topics';

describe('domainEventTypes', () => {
  it('names each type uk.nhs.trellis.<domain>.<Message>.v1 on the topic, with its protobuf message', () => {
    const { ResultAvailable, ResultAmended } = domainEventTypes('results', TOPICS.resultsReport, [
      'ResultAvailable',
      'ResultAmended',
    ]);
    expect(ResultAvailable.type).toBe('uk.nhs.trellis.results.ResultAvailable.v1');
    expect(ResultAvailable.topic).toBe('trellis.results.report.v1');
    expect(ResultAvailable.dataschema).toBe('proto:trellis.events.v1.ResultAvailable');
    expect(ResultAmended.type).toBe('uk.nhs.trellis.results.ResultAmended.v1');
    const message = events.v1.ResultAmended.fromPartial({ previousVersion: 2, reason: 'typo' });
    expect(ResultAmended.decode(ResultAmended.encode(message))).toEqual(message);
  });

  it('builds only the types it is given', () => {
    const types = domainEventTypes('results', TOPICS.resultsReport, ['ResultAvailable']);
    expect(Object.keys(types)).toEqual(['ResultAvailable']);
  });
});
