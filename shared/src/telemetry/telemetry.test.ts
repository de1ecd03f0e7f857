import { ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace';
import { createLogger } from '../logger';
import { samplerFromEnv, serviceNameFromEntry } from './sdk';

describe('telemetry configuration', () => {
  test('the service name comes from the entry path as scripts/start.sh names the process', () => {
    expect(serviceNameFromEntry('subgraphs/cart/src/index.ts')).toBe('cart');
    expect(serviceNameFromEntry('internal-grpc/src/payment/main.ts')).toBe('payment');
    expect(serviceNameFromEntry('gateway/src/index.ts')).toBe('gateway');
  });

  test('OTEL_TRACES_SAMPLER names map to the spec samplers, and a typo is refused', () => {
    expect(samplerFromEnv('parentbased_traceidratio', '0.1').toString()).toBe(
      new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) }).toString(),
    );
    expect(samplerFromEnv('traceidratio', '0.25').toString()).toContain('0.25');
    expect(() => samplerFromEnv('parentbased_sometimes', undefined)).toThrow(/OTEL_TRACES_SAMPLER/);
  });
});

describe('log redaction', () => {
  test('tokens and shipping addresses never reach a log line', () => {
    const lines: string[] = [];
    const logger = createLogger('test').child({});
    // pino writes to its destination; capture it by swapping stdout.write for one call.
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => {
      lines.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    try {
      logger.info(
        {
          authorization: 'Bearer abc.def',
          input: { shippingAddress: { line1: '1 Main St' }, token: 'secret-token' },
        },
        'hello',
      );
    } finally {
      process.stdout.write = write;
    }
    const text = lines.join('');
    expect(text).toContain('"msg":"hello"');
    expect(text).not.toMatch(/abc\.def|Main St|secret-token/);
  });
});
