import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ProductService } from '@shop/product-subgraph';
import type { RunningSubgraph } from '@shop/shared';
import type { RunningGateway } from '../src/service';
import {
  deadUrl,
  post,
  startGateway,
  startWhoamiSubgraph,
  SupergraphFiles,
  WHOAMI_SDL,
  startProductService,
} from './support';

const PRODUCT_SDL = readFileSync(
  path.resolve(__dirname, '..', '..', 'subgraphs', 'product', 'schema.graphql'),
  'utf8',
);

/** The real product service stopped and started again on its port, behind the gateway. */
describe('per-subgraph circuit breaker', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gateway-breaker-'));
  const files = new SupergraphFiles();
  let port: string;
  let product: ProductService | undefined;
  let whoami: RunningSubgraph;
  let gateway: RunningGateway;

  const startProduct = async () => {
    product = await startProductService(path.join(dir, 'product.db'), { PORT: port });
  };

  beforeAll(async () => {
    port = new URL(await deadUrl()).port;
    await startProduct();
    whoami = await startWhoamiSubgraph();
    gateway = await startGateway({
      SUPERGRAPH_PATH: files.write([
        { name: 'product', url: `http://127.0.0.1:${port}/graphql`, sdl: PRODUCT_SDL },
        { name: 'whoami', url: whoami.url, sdl: WHOAMI_SDL },
      ]),
      RATE_LIMIT_ENABLED: 'false',
      BREAKER_VOLUME_THRESHOLD: '2',
      BREAKER_RESET_MS: '1500',
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await product?.stop();
    await whoami?.stop();
    files.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  const QUERY = '{ ping product(id: "none") { id } }';

  it('opens when the subgraph is down, keeps the rest answering, and closes after a probe', async () => {
    expect((await post(gateway.url, QUERY)).body.errors).toBeUndefined();

    await product?.stop();
    product = undefined;
    let last;
    for (let i = 0; i < 4; i += 1) {
      last = await post(gateway.url, QUERY);
      expect(last.body.data?.ping).toBe('pong');
      expect(last.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      expect(last.body.errors?.[0]?.message).toMatch(/product/);
    }
    expect(last?.body.errors?.[0]?.message).toMatch(
      /product service is unavailable \(it kept failing/,
    );

    await startProduct();
    const stillOpen = await post(gateway.url, QUERY);
    expect(stillOpen.body.errors?.[0]?.message).toMatch(/it kept failing/); // fails fast

    await new Promise((r) => setTimeout(r, 1700));
    const probed = await post(gateway.url, QUERY);
    expect(probed.body.errors).toBeUndefined();
    expect(probed.body.data).toEqual({ ping: 'pong', product: null });
  });
});
