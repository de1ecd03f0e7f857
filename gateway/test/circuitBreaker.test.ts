import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ProductService } from '@shop/product-subgraph';
import type { RunningSubgraph } from '@shop/shared';
import { freePort } from '@shop/shared/src/testing';
import type { RunningGateway } from '../src/service';
import {
  deadUrl,
  metricValue,
  post,
  spawnGateway,
  spawnService,
  startGateway,
  startWhoamiSubgraph,
  SupergraphFiles,
  WHOAMI_SDL,
  startProductService,
  type GatewayProcess,
  type GraphQLHttpResult,
  type ServiceProcess,
} from './support';

const PRODUCT_SDL = readFileSync(
  path.resolve(__dirname, '..', '..', 'subgraphs', 'product', 'schema.graphql'),
  'utf8',
);

/** The real product service stopped and started again on its port, behind the gateway. */
/** Stops what a breaker suite started (gateway first, so it makes no calls to stopped subgraphs). */
async function tearDown(
  running: {
    gateway?: { stop(): Promise<void> };
    product?: { stop(): Promise<void> };
    whoami?: { stop(): Promise<void> };
  },
  files: SupergraphFiles,
  dir: string,
): Promise<void> {
  await running.gateway?.stop();
  await running.product?.stop();
  await running.whoami?.stop();
  files.remove();
  rmSync(dir, { recursive: true, force: true });
}

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
  afterAll(() => tearDown({ gateway, product, whoami }, files, dir));

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

/**
 * The same breaker with nothing in the test process but the whoami subgraph: the gateway and
 * the product subgraph run as their own processes (as `npm start` runs them), and the product
 * process is SIGKILLed, as a crash or the OOM killer ends it, then started again on its port.
 */
describe('per-subgraph circuit breaker, product process killed', () => {
  /** Breaker settings of the gateway process: short, so the whole story takes seconds. */
  const RESET_MS = 10_000;
  const VOLUME = 3;
  const dir = mkdtempSync(path.join(tmpdir(), 'gateway-breaker-process-'));
  const files = new SupergraphFiles();
  let productPort: number;
  let productEnv: Record<string, string>;
  let product: ServiceProcess | undefined;
  let whoami: RunningSubgraph;
  let gateway: GatewayProcess;

  const startProduct = async () => {
    product = await spawnService('subgraphs/product/src/index.ts', productPort, productEnv);
  };
  const metrics = async () => (await fetch(gateway.url.replace(/graphql$/, 'metrics'))).text();
  const transitions = async (subgraph: string, state: string) =>
    metricValue(await metrics(), 'gateway_subgraph_breaker_transitions_total', {
      subgraph,
      state,
    });

  beforeAll(async () => {
    productPort = await freePort();
    productEnv = {
      GRPC_PORT: String(await freePort()),
      PRODUCT_DATABASE_URL: `file:${path.join(dir, 'product.db')}`,
      // Only Product.availability calls inventory, and nothing here asks for it.
      INVENTORY_GRPC_URL: `127.0.0.1:${await freePort()}`,
    };
    whoami = await startWhoamiSubgraph();
    const supergraph = files.write([
      { name: 'product', url: `http://127.0.0.1:${productPort}/graphql`, sdl: PRODUCT_SDL },
      { name: 'whoami', url: whoami.url, sdl: WHOAMI_SDL },
    ]);
    [gateway] = await Promise.all([
      spawnGateway({
        SUPERGRAPH_PATH: supergraph,
        RATE_LIMIT_ENABLED: 'false',
        PERSISTED_QUERIES: 'off',
        SUBSCRIPTIONS_ENABLED: 'false',
        BREAKER_ERROR_PERCENT: '50',
        BREAKER_VOLUME_THRESHOLD: String(VOLUME),
        BREAKER_RESET_MS: String(RESET_MS),
        SUBGRAPH_TIMEOUT_MS: '3000',
      }),
      startProduct(),
    ]);
  }, 200_000);
  afterAll(() => tearDown({ gateway, product, whoami }, files, dir));

  /** Fields of both subgraphs in one request. */
  const MIXED = '{ ping product(id: "1") { name } }';
  type Outcome = 'answered' | 'unreachable' | 'open';

  /** What one answer to MIXED says about the product subgraph; the ping part always answers. */
  function outcomeOf(res: GraphQLHttpResult): Outcome {
    expect(res.status).toBe(200);
    expect(res.body.data?.ping).toBe('pong');
    if (!res.body.errors) {
      expect(res.body.data?.product).toEqual({ name: 'Laptop' });
      return 'answered';
    }
    expect(res.body.data?.product).toBeNull();
    expect(res.body.errors).toHaveLength(1);
    const [error] = res.body.errors;
    expect(error?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(error?.message).toMatch(/^The product service /);
    expect(error?.message).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|:\d{2,5}/); // no host or port
    // "kept failing" is what the open breaker answers without calling the subgraph.
    return /it kept failing/.test(error?.message ?? '') ? 'open' : 'unreachable';
  }

  it('fails fast on the dead process, keeps other fields answering, and closes after the cool-down once it is back', async () => {
    expect(outcomeOf(await post(gateway.url, MIXED))).toBe('answered');

    await product?.kill('SIGKILL');
    const seen: Outcome[] = [];
    for (let i = 0; i < VOLUME + 3; i += 1) seen.push(outcomeOf(await post(gateway.url, MIXED)));
    const openedAt = Date.now();
    // The first calls went to the dead port; from the volume threshold on, the breaker is open.
    expect(seen[0]).toBe('unreachable');
    expect(seen.filter((o) => o === 'unreachable').length).toBeLessThanOrEqual(VOLUME);
    expect(seen.slice(VOLUME)).toEqual(['open', 'open', 'open']);
    expect(await transitions('product', 'open')).toBe(1);

    // Another request touching only the other subgraph answers in full, and nothing opened there.
    const other = await post(gateway.url, '{ ping }');
    expect(other.status).toBe(200);
    expect(other.body.errors).toBeUndefined();
    expect(other.body.data).toEqual({ ping: 'pong' });
    expect(await transitions('whoami', 'open')).toBe(0);
    // The gateway stays ready: one subgraph down must not take the whole API out of rotation.
    expect((await fetch(gateway.url.replace(/graphql$/, 'health/ready'))).status).toBe(200);

    await startProduct();
    const upAt = Date.now();
    // Back on its port, but the breaker only lets a probe through once the cool-down is over.
    const afterRestart: Outcome[] = [];
    let closedAt = 0;
    const deadline = Date.now() + 2 * RESET_MS + 10_000;
    while (Date.now() < deadline) {
      const outcome = outcomeOf(await post(gateway.url, MIXED));
      afterRestart.push(outcome);
      if (outcome === 'answered') {
        closedAt = Date.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(afterRestart.at(-1)).toBe('answered');
    expect(closedAt - openedAt).toBeGreaterThanOrEqual(RESET_MS - 500);
    if (upAt - openedAt < RESET_MS - 1000) {
      // The process answered again well inside the cool-down: those requests still failed fast.
      expect(afterRestart[0]).toBe('open');
    }
    expect(await transitions('product', 'halfOpen')).toBeGreaterThanOrEqual(1);
    expect(await transitions('product', 'close')).toBe(1);
    for (let i = 0; i < 3; i += 1)
      expect(outcomeOf(await post(gateway.url, MIXED))).toBe('answered');
  }, 90_000);
});
