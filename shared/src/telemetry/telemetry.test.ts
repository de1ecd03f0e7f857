import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace';
import { createLogger } from '../logger';
import { instrumentationNames, samplerFromEnv, serviceNameFromEntry } from './sdk';

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

  test('OTEL_NODE_DISABLED_INSTRUMENTATIONS leaves instrumentations out, and a typo is refused', () => {
    const all = instrumentationNames('cart', '');
    expect(all).toEqual(expect.arrayContaining(['http', 'undici', 'graphql', 'pg', 'kafkajs']));
    // Route names come from httpRoute(); express's per-layer spans are never recorded.
    expect(all).not.toContain('express');
    expect(instrumentationNames('cart', 'pg, kafkajs')).toEqual(
      all.filter((n) => n !== 'pg' && n !== 'kafkajs'),
    );
    // @apollo/gateway traces the gateway's operations itself.
    expect(instrumentationNames('gateway', '')).toEqual(all.filter((n) => n !== 'graphql'));
    expect(() => instrumentationNames('cart', 'pgg')).toThrow(
      /OTEL_NODE_DISABLED_INSTRUMENTATIONS names pgg/,
    );
  });

  test('a process with a bad tracing setting stops at start with exit 78 and says which', () => {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--import', path.join(__dirname, 'register.ts'), '-e', '0'],
      { env: { ...process.env, OTEL_SDK_DISABLED: 'false', OTEL_TRACES_SAMPLER: 'sometimes' } },
    );
    expect(run.status).toBe(78);
    expect(run.stderr.toString()).toMatch(
      /^invalid tracing configuration: OTEL_TRACES_SAMPLER=sometimes/,
    );
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
