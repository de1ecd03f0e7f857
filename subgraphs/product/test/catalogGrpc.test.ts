import { mkdirSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { deadline, protos, startGrpcServer, type ProductCatalogClient } from '@shop/internal-grpc';
import type { GetProductsResponse } from '@shop/internal-grpc/src/__generated__/shop/product/v1/GetProductsResponse';
import type { ValidateProductsResponse } from '@shop/internal-grpc/src/__generated__/shop/product/v1/ValidateProductsResponse';
import { runMigrations } from '@shop/shared';
import { openProductStore, type ProductStore } from '../src/data/productStore';
import { seedCatalog } from '../src/data/seedCatalog';
import { MAX_IDS_PER_CALL, registerProductCatalog } from '../src/grpc/catalogServer';
import { MIGRATIONS_DIR, type ProductService } from '../src/service';
import { silentLogger, startProductService, tempDatabase } from './support';

function connect(address: string): ProductCatalogClient {
  return new (protos.product().ProductCatalog)(address, grpc.credentials.createInsecure());
}

function getProducts(client: ProductCatalogClient, ids: string[]): Promise<GetProductsResponse> {
  return new Promise((resolve, reject) =>
    client.GetProducts({ ids }, { deadline: deadline(5000) }, (err, res) =>
      err || !res ? reject(err) : resolve(res),
    ),
  );
}

function validateProducts(
  client: ProductCatalogClient,
  ids: string[],
): Promise<ValidateProductsResponse> {
  return new Promise((resolve, reject) =>
    client.ValidateProducts({ ids }, { deadline: deadline(5000) }, (err, res) =>
      err || !res ? reject(err) : resolve(res),
    ),
  );
}

describe('ProductCatalog over gRPC', () => {
  const db = tempDatabase();
  const statements: string[] = [];
  let store: ProductStore;
  let server: Awaited<ReturnType<typeof startGrpcServer>>;
  let client: ProductCatalogClient;

  beforeAll(async () => {
    await runMigrations({ dir: MIGRATIONS_DIR, sqliteUrl: db.url });
    store = await openProductStore({
      databaseUrl: db.url,
      onStatement: (sql) => statements.push(sql),
    });
    await seedCatalog(store);
    server = await startGrpcServer(
      (s) => registerProductCatalog(s, store, silentLogger),
      '127.0.0.1:0',
    );
    client = connect(`127.0.0.1:${server.port}`);
  });
  beforeEach(() => {
    statements.length = 0;
  });
  afterAll(async () => {
    client.close();
    await server.stop();
    await store.close();
    db.remove();
  });

  test('GetProducts answers in request order, lists unknown ids as missing, in one query', async () => {
    const res = await getProducts(client, ['3', '1', '999', 'abc', '3', '30']);

    expect(res.products.map((p) => p.id)).toEqual(['3', '1', '30']);
    expect(res.missingIds).toEqual(['999', 'abc']);
    expect(res.products[1]).toEqual({
      id: '1',
      name: 'Laptop',
      description: expect.any(String),
      price: '1299.99',
      currencyCode: 'USD',
      imageUrl: expect.stringMatching(/^https:\/\//),
    });
    expect(statements).toHaveLength(1);
  });

  test('ValidateProducts splits ids into valid and invalid, in request order, in one query', async () => {
    const res = await validateProducts(client, ['2', '0', '5', '-1', '2', '100000']);

    expect(res).toEqual({ validIds: ['2', '5'], invalidIds: ['0', '-1', '100000'] });
    expect(statements).toHaveLength(1);
  });

  test('an empty request gets an empty answer without touching the database', async () => {
    expect(await getProducts(client, [])).toEqual({ products: [], missingIds: [] });
    expect(await validateProducts(client, [])).toEqual({ validIds: [], invalidIds: [] });
    expect(statements).toHaveLength(0);
  });

  test(`more than ${MAX_IDS_PER_CALL} distinct ids is INVALID_ARGUMENT saying to split`, async () => {
    const ids = Array.from({ length: MAX_IDS_PER_CALL + 1 }, (_, i) => String(i + 1));

    await expect(getProducts(client, ids)).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringMatching(/at most 500 distinct ids.*split/),
    });
  });

  test('a database failure is INTERNAL with a message that leaks nothing', async () => {
    // A database without the products table (never migrated): every lookup fails in SQLite.
    const emptyDb = tempDatabase();
    mkdirSync(path.dirname(emptyDb.file), { recursive: true });
    const broken = await openProductStore({ databaseUrl: emptyDb.url });
    const brokenServer = await startGrpcServer(
      (s) => registerProductCatalog(s, broken, silentLogger),
      '127.0.0.1:0',
    );
    const brokenClient = connect(`127.0.0.1:${brokenServer.port}`);
    try {
      await expect(getProducts(brokenClient, ['1'])).rejects.toMatchObject({
        code: grpc.status.INTERNAL,
        details: 'The product catalog could not be read; retry shortly.',
      });
    } finally {
      brokenClient.close();
      await brokenServer.stop();
      await broken.close();
      emptyDb.remove();
    }
  });
});

describe('the service serves ProductCatalog on its grpcAddress', () => {
  const db = tempDatabase();
  let service: ProductService;

  beforeAll(async () => {
    service = await startProductService(db.url);
  });
  afterAll(async () => {
    await service.stop();
    db.remove();
  });

  test('GetProducts through the address createProductService returns', async () => {
    const client = connect(service.grpcAddress);
    try {
      const res = await getProducts(client, ['2']);
      expect(res.products).toEqual([
        expect.objectContaining({ id: '2', name: 'Mouse', price: '29.99' }),
      ]);
    } finally {
      client.close();
    }
  });
});
