import { kafkaConfigFromEnv } from './config';

describe('kafkaConfigFromEnv', () => {
  it('reads brokers and SASL settings', () => {
    expect(
      kafkaConfigFromEnv(
        {
          KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.2:9092',
          KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
          KAFKA_SASL_USERNAME: 'trellis',
          KAFKA_SASL_PASSWORD: 'secret',
        },
        'identity',
      ),
    ).toMatchObject({
      clientId: 'identity',
      brokers: ['127.0.0.1:9092', '127.0.0.2:9092'],
      ssl: false,
      sasl: { mechanism: 'scram-sha-512', username: 'trellis', password: 'secret' },
    });
  });

  it('reports every problem at once', () => {
    expect(() =>
      kafkaConfigFromEnv({ KAFKA_BROKERS: 'nohost', KAFKA_SASL_MECHANISM: 'kerberos' }, 'x'),
    ).toThrow(
      /brokers\.0: broker must be host:port[\s\S]*sasl\.mechanism[\s\S]*sasl\.username[\s\S]*sasl\.password/,
    );
  });
});
