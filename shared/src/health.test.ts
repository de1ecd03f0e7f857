import type { AddressInfo } from 'node:net';
import express from 'express';
import { healthRouter, type ReadinessCheck } from './health';

/** Serves the router on a free port and returns /health/ready's status and body. */
async function ready(
  checks: Record<string, ReadinessCheck>,
  options: Parameters<typeof healthRouter>[1] = {},
): Promise<{ status: number; body: unknown }> {
  const server = express().use(healthRouter(checks, options)).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
    return { status: res.status, body: await res.json() };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

const ok = () => Promise.resolve();
const down = () => Promise.reject(new Error('connection refused'));

describe('/health/ready', () => {
  it('is 503 naming the store that is down', async () => {
    expect(await ready({ postgres: down })).toEqual({
      status: 503,
      body: { status: 'unavailable', checks: { postgres: 'connection refused' } },
    });
  });

  it('times a hanging check out after timeoutMs', async () => {
    const hang = () => new Promise<never>(() => undefined);
    expect(await ready({ mongodb: hang }, { timeoutMs: 50 })).toMatchObject({
      status: 503,
      body: { checks: { mongodb: 'mongodb did not answer within 50 ms' } },
    });
  });

  it('shows consumers without letting one that is not running fail it', async () => {
    const consumers = { 'checkout-events': () => false, 'order-events': () => true };
    expect(await ready({ postgres: ok }, { consumers })).toEqual({
      status: 200,
      body: {
        status: 'ok',
        checks: { postgres: 'ok' },
        consumers: { 'checkout-events': 'not running', 'order-events': 'running' },
      },
    });
  });
});
