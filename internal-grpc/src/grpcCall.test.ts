/**
 * The shared client plumbing against a real gRPC server whose answers each test scripts:
 * deadlines, which errors open the breaker, what a caller receives, and the catalog client's
 * mapping of GetProducts.
 */
import * as grpc from '@grpc/grpc-js';
import { createLogger } from '@shop/shared';
import { protos } from './protos';
import { grpcError, startGrpcServer } from './server';
import type { GetProductsRequest } from './__generated__/shop/product/v1/GetProductsRequest';
import type { GetProductsResponse } from './__generated__/shop/product/v1/GetProductsResponse';
import {
  createGrpcCaller,
  DependencyUnavailableError,
  hasStatus,
  type ResponseOf,
} from './grpcCall';
import { createProductCatalogClient } from '../contracts/product/productCatalogClient';

const logger = createLogger('grpc-call-test', 'silent');

type Answer = (
  call: grpc.ServerUnaryCall<GetProductsRequest, GetProductsResponse>,
  callback: grpc.sendUnaryData<GetProductsResponse>,
) => void;

/** The catalog's GetProducts answers as `answer` says; `calls` counts what reached it. */
let answer: Answer;
let calls = 0;
let catalog: Awaited<ReturnType<typeof startGrpcServer>>;
let address: string;

beforeAll(async () => {
  catalog = await startGrpcServer(
    (server) =>
      server.addService(protos.product().ProductCatalog.service, {
        GetProducts: (
          call: grpc.ServerUnaryCall<GetProductsRequest, GetProductsResponse>,
          callback: grpc.sendUnaryData<GetProductsResponse>,
        ) => {
          calls += 1;
          answer(call, callback);
        },
      }),
    '127.0.0.1:0',
  );
  address = `127.0.0.1:${catalog.port}`;
});

afterAll(() => catalog.stop());

beforeEach(() => {
  calls = 0;
});

type Definition = ReturnType<typeof protos.product>['ProductCatalog']['service'];

/** A caller on a fresh channel and breaker, asking GetProducts once per `ask()`. */
function connect(options: Parameters<typeof createGrpcCaller>[3] = {}, deadlineMs = 2_000) {
  const client = new (protos.product().ProductCatalog)(address, grpc.credentials.createInsecure());
  const caller = createGrpcCaller('product', deadlineMs, logger, options);
  const ask = () =>
    caller.call<ResponseOf<Definition, 'GetProducts'>>('GetProducts', (callOptions, callback) =>
      client.getProducts({ ids: ['1'] }, callOptions, callback),
    );
  const close = () => {
    caller.breaker.shutdown();
    client.close();
  };
  return { caller, ask, close };
}

/** The error `promise` rejects with. */
async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (err: unknown) => err,
  );
}

test('an unhealthy status is DependencyUnavailableError; after five the breaker opens and refuses without calling', async () => {
  answer = (_call, callback) => callback(grpcError(grpc.status.UNAVAILABLE, 'catalog restarting'));
  const { caller, ask, close } = connect();
  try {
    for (let i = 0; i < 5; i++) {
      const err = await failureOf(ask());
      expect(err).toBeInstanceOf(DependencyUnavailableError);
      expect(err).toMatchObject({ dependency: 'product', method: 'GetProducts' });
      expect((err as DependencyUnavailableError).mayHaveApplied).toBe(true);
    }
    expect(caller.breaker.opened).toBe(true);

    const refused = await failureOf(ask());
    expect(refused).toBeInstanceOf(DependencyUnavailableError);
    expect((refused as DependencyUnavailableError).mayHaveApplied).toBe(false);
    expect(calls).toBe(5);
  } finally {
    close();
  }
});

test("the service's answers reach the caller as they came and never open the breaker", async () => {
  answer = (_call, callback) => callback(grpcError(grpc.status.INVALID_ARGUMENT, 'no ids'));
  const { caller, ask, close } = connect();
  try {
    for (let i = 0; i < 8; i++) {
      const err = await failureOf(ask());
      expect(hasStatus(err, grpc.status.INVALID_ARGUMENT)).toBe(true);
    }
    expect(caller.breaker.opened).toBe(false);
    expect(calls).toBe(8);
  } finally {
    close();
  }
});

test('unhealthyStatuses narrows what counts as an outage: INTERNAL then passes through untouched', async () => {
  answer = (_call, callback) => callback(grpcError(grpc.status.INTERNAL, 'catalog bug'));
  const { caller, ask, close } = connect({ unhealthyStatuses: new Set([grpc.status.UNAVAILABLE]) });
  try {
    for (let i = 0; i < 6; i++) {
      const err = await failureOf(ask());
      expect(err).not.toBeInstanceOf(DependencyUnavailableError);
      expect(hasStatus(err, grpc.status.INTERNAL)).toBe(true);
    }
    expect(caller.breaker.opened).toBe(false);
  } finally {
    close();
  }
});

test('the deadline ends a call the service never answers', async () => {
  answer = () => undefined; // holds the call open
  const { ask, close } = connect({}, 200);
  try {
    const err = await failureOf(ask());
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect(hasStatus((err as Error).cause, grpc.status.DEADLINE_EXCEEDED)).toBe(true);
  } finally {
    close();
  }
});

test('the catalog client returns the products with their prices, the missing ids, and USD where no currency is set', async () => {
  answer = (call, callback) =>
    callback(null, {
      products: call.request.ids
        .filter((id) => id !== '404')
        .map((id) => ({
          id,
          name: `Product ${id}`,
          description: '',
          price: '12.50',
          currencyCode: id === '2' ? 'EUR' : '',
          imageUrl: '',
        })),
      missingIds: call.request.ids.filter((id) => id === '404'),
    });
  const client = createProductCatalogClient(address, 2_000, logger);
  try {
    expect(await client.getProducts(['1', '2', '404'])).toEqual({
      products: [
        { id: '1', name: 'Product 1', price: '12.50', currencyCode: 'USD' },
        { id: '2', name: 'Product 2', price: '12.50', currencyCode: 'EUR' },
      ],
      missingIds: ['404'],
    });
  } finally {
    client.close();
  }
});
