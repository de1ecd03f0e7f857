import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import type { ProductService } from '@shop/product-subgraph';
import type { RunningSubgraph } from '@shop/shared';
import * as e2eOperations from '../../test/e2e/operations';
import { readmeOperations } from '../src/edge/readmeOperations';
import type { RunningGateway } from '../src/service';
import {
  countingSubgraphProxy,
  deadUrl,
  REPO_ROOT,
  startGateway,
  startProductService,
  startWhoamiSubgraph,
  SupergraphFiles,
  WHOAMI_SDL,
} from './support';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

async function send(url: string, body: unknown) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'apollo-require-preflight': 'true' },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    body: (await res.json()) as {
      data?: Record<string, unknown>;
      errors?: { message: string; extensions?: { code?: string } }[];
    },
  };
}

const PING = 'query Ping { ping }';
const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

describe('persisted queries', () => {
  const files = new SupergraphFiles();
  const stops: (() => Promise<unknown>)[] = [];
  let subgraph: RunningSubgraph;
  let supergraph: string;

  beforeAll(async () => {
    subgraph = await startWhoamiSubgraph();
    supergraph = files.write([{ name: 'whoami', url: subgraph.url, sdl: WHOAMI_SDL }]);
  });
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    await subgraph?.stop();
    files.remove();
  });

  async function gateway(env: Record<string, string>): Promise<RunningGateway> {
    const gw = await startGateway({
      SUPERGRAPH_PATH: supergraph,
      RATE_LIMIT_ENABLED: 'false',
      ...env,
    });
    stops.push(gw.stop);
    return gw;
  }

  describe('automatic persisted queries in Redis', () => {
    it('registers a hash on one instance and serves it by hash on another', async () => {
      const prefix = `apq-test-${randomUUID()}`;
      const [a, b] = await Promise.all([
        gateway({ PERSISTED_QUERY_PREFIX: prefix }),
        gateway({ PERSISTED_QUERY_PREFIX: prefix }),
      ]);
      const query = `query Registered { ping } # ${randomUUID()}`;
      const hash = sha256(query);

      const unknown = await send(b.url, { extensions: persisted(hash) });
      expect(unknown.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');

      const registered = await send(a.url, { query, extensions: persisted(hash) });
      expect(registered.body).toMatchObject({ data: { ping: 'pong' } });

      const byHash = await send(b.url, { extensions: persisted(hash) });
      expect(byHash.status).toBe(200);
      expect(byHash.body.errors).toBeUndefined();
      expect(byHash.body.data).toEqual({ ping: 'pong' });
    });

    it('keeps serving when Redis is unreachable: the full query runs, a bare hash is a miss', async () => {
      const redis = new URL(await deadUrl());
      const gw = await gateway({ REDIS_URL: `redis://127.0.0.1:${redis.port}` });
      const query = `query Unreachable { ping } # ${randomUUID()}`;
      const started = Date.now();
      const full = await send(gw.url, { query, extensions: persisted(sha256(query)) });
      expect(full.body).toMatchObject({ data: { ping: 'pong' } });
      const bare = await send(gw.url, { extensions: persisted(sha256(query)) });
      expect(bare.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
      expect(Date.now() - started).toBeLessThan(3000);
    });
  });

  describe('safelist mode', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gateway-safelist-'));
    // As the manifest tool writes it: printed, with Apollo Client's __typename selections.
    const listed = 'query Who {\n  whoami {\n    userId\n    __typename\n  }\n}';
    let gw: RunningGateway;
    let proxy: Awaited<ReturnType<typeof countingSubgraphProxy>>;

    beforeAll(async () => {
      const manifest = path.join(dir, 'manifest.json');
      writeFileSync(
        manifest,
        JSON.stringify({
          format: 'apollo-persisted-query-manifest',
          version: 1,
          operations: [
            { id: sha256(PING), name: 'Ping', type: 'query', body: PING },
            { id: sha256(listed), name: 'Who', type: 'query', body: listed },
          ],
        }),
      );
      proxy = await countingSubgraphProxy(subgraph.url);
      stops.push(proxy.close);
      const routed = files.write([{ name: 'whoami', url: proxy.url, sdl: WHOAMI_SDL }]);
      gw = await gateway({
        SUPERGRAPH_PATH: routed,
        PERSISTED_QUERIES: 'safelist',
        PERSISTED_QUERY_MANIFEST: manifest,
      });
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('runs a listed operation sent as its text, reformatted, or without __typename', async () => {
      for (const query of [PING, 'query Ping {\n  ping\n}', 'query   Ping{ping}']) {
        expect((await send(gw.url, { query })).body).toMatchObject({ data: { ping: 'pong' } });
      }
      const who = await send(gw.url, { query: 'query Who { whoami { userId } }' });
      // Listed, so it ran: the subgraph itself refused the anonymous caller.
      expect(who.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });

    it('runs a listed operation sent by its id, over POST and GET', async () => {
      const byId = await send(gw.url, { extensions: persisted(sha256(PING)) });
      expect(byId.status).toBe(200);
      expect(byId.body).toMatchObject({ data: { ping: 'pong' } });

      const params = new URLSearchParams({ extensions: JSON.stringify(persisted(sha256(PING))) });
      const res = await fetch(`${gw.url}?${params}`, {
        headers: { 'apollo-require-preflight': 'true' },
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ data: { ping: 'pong' } });
    });

    it('refuses anything else with 400 PERSISTED_QUERY_NOT_IN_LIST, before any subgraph call', async () => {
      const before = proxy.requests();
      const cases = [
        { query: '{ ping }' }, // listed field, but not the listed operation
        { query: 'query Ping { ping whoami { userId } }' },
        { query: 'query Ping { ping', extensions: persisted(sha256(PING)) }, // text wins
        { extensions: persisted(sha256('query Other { ping }')) },
        [{ query: PING }, { query: '{ ping }' }],
      ];
      for (const body of cases) {
        const refused = await send(gw.url, body);
        expect(refused.status).toBe(400);
        expect(refused.body.errors).toEqual([
          {
            message: expect.stringMatching(/persisted query list/),
            extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST' },
          },
        ]);
      }
      const params = new URLSearchParams({ query: '{ ping }' });
      const get = await fetch(`${gw.url}?${params}`, {
        headers: { 'apollo-require-preflight': 'true' },
      });
      expect(get.status).toBe(400);
      expect(proxy.requests()).toBe(before);
    });
  });

  /**
   * What ships: the committed manifest and supergraph, the real product service, the other
   * subgraphs down. Every example of the README and every operation of the e2e client gets past
   * the safelist (whatever the subgraphs then answer); their unnamed forms do not.
   */
  describe('safelist mode with the committed manifest', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gateway-safelist-shipped-'));
    let product: ProductService;
    let gw: RunningGateway;
    const readme = readmeOperations(readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8'));
    const e2e = Object.values(e2eOperations).filter((text) =>
      parse(text).definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION),
    );
    const refusedByList = (res: Awaited<ReturnType<typeof send>>) =>
      res.status === 400 &&
      res.body.errors?.some((e) => e.extensions?.code === 'PERSISTED_QUERY_NOT_IN_LIST') === true;

    beforeAll(async () => {
      product = await startProductService(path.join(dir, 'product.db'));
      gw = await gateway({
        SUPERGRAPH_PATH: path.join(REPO_ROOT, 'supergraph.graphql'),
        PRODUCT_SUBGRAPH_URL: product.graphqlUrl,
        CART_SUBGRAPH_URL: await deadUrl(),
        CHECKOUT_SUBGRAPH_URL: await deadUrl(),
        ORDERS_SUBGRAPH_URL: await deadUrl(),
        PERSISTED_QUERIES: 'safelist',
      });
    });
    afterAll(async () => {
      await product?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it("runs the README's first example as written there", async () => {
      const catalog = readme.find((op) => op.name === 'Catalog');
      const res = await send(gw.url, { query: catalog?.document });
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data?.products).toMatchObject({
        edges: expect.arrayContaining([expect.objectContaining({ node: expect.anything() })]),
      });
    });

    it('lets every README example and every e2e client operation through, and not their anonymous forms', async () => {
      expect(readme.length).toBeGreaterThanOrEqual(8);
      expect(e2e.length).toBeGreaterThanOrEqual(15);
      for (const query of [...readme.map((op) => op.document), ...e2e]) {
        const op = parse(query).definitions.find(
          (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
        );
        const res = await send(gw.url, { query, operationName: op?.name?.value });
        expect([op?.name?.value, refusedByList(res)]).toEqual([op?.name?.value, false]);
        const anonymous = query.replace(/^(\s*)(query|mutation|subscription) \w+/, '$1$2');
        expect(anonymous).not.toBe(query);
        expect([op?.name?.value, refusedByList(await send(gw.url, { query: anonymous }))]).toEqual([
          op?.name?.value,
          true,
        ]);
      }
    });
  });
});
