import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, type GraphQLSchema } from 'graphql';
import {
  createLogger,
  createTokenVerifier,
  runMigrations,
  startSubgraphServer,
  type Logger,
} from '@shop/shared';
import { createInventoryClient, startGrpcServer } from '@shop/internal-grpc';
import type { ProductConfig } from './config';
import { createContext } from './context';
import { MIGRATIONS_DIR } from './data/migrations';
import { openProductStore, type ProductStore } from './data/productStore';
import { seedCatalog } from './data/seedCatalog';
import { registerProductCatalog } from './grpc/catalogServer';
import { resolvers } from './resolvers';

export { MIGRATIONS_DIR };

const SCHEMA_FILE = path.join(__dirname, '../schema.graphql');

/** Cache-Control max-age of catalog answers: the longest the gateway's public cache may keep one. */
const CATALOG_MAX_AGE_SECONDS = 60;

/** schema.graphql (the source of truth) with the resolvers, as a federation 2 subgraph. */
export function buildProductSchema(): GraphQLSchema {
  const typeDefs = parse(readFileSync(SCHEMA_FILE, 'utf8'));
  return buildSubgraphSchema({ typeDefs, resolvers });
}

export interface ProductService {
  /** The subgraph's `/graphql` URL (what the gateway and tests call). */
  graphqlUrl: string;
  /** host:port of the ProductCatalog gRPC server, dialable from this machine. */
  grpcAddress: string;
  /** Stops taking requests on both servers, lets in-flight ones finish, closes the database. */
  stop(): Promise<void>;
}

/**
 * Starts the product subgraph (HTTP) and the ProductCatalog (gRPC) in this process, after
 * creating, migrating and (unless PRODUCT_SEED=false) seeding the SQLite catalog. Both ports
 * may be 0 (a free port each), which is how other services' tests start it:
 *
 *   const product = await createProductService(loadProductConfig({ PORT: '0', GRPC_PORT: '0',
 *     PRODUCT_DATABASE_URL: `file:${tmpFile}`, JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'silent' }));
 *   // product.graphqlUrl, product.grpcAddress … await product.stop();
 */
export async function createProductService(
  config: ProductConfig,
  options: { logger?: Logger } = {},
): Promise<ProductService> {
  const logger = options.logger ?? createLogger('product', config.logLevel);
  await runMigrations({ dir: MIGRATIONS_DIR, sqliteUrl: config.databaseUrl, logger });
  const store = await openProductStore({
    databaseUrl: config.databaseUrl,
    onStatement: logger.isLevelEnabled('trace') ? (sql) => logger.trace({ sql }, 'sql') : undefined,
  });
  const inventory = createInventoryClient(
    config.inventoryGrpcUrl,
    config.inventoryDeadlineMs,
    logger,
  );
  const cleanup: (() => Promise<void>)[] = [() => store.close(), async () => inventory.close()];
  const stopAll = async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  };
  try {
    if (config.seed) await seed(store, logger);
    const grpc = await startGrpcServer(
      (server) => registerProductCatalog(server, store, logger),
      `${config.host}:${config.grpcPort}`,
    );
    cleanup.push(grpc.stop);
    const subgraph = await startSubgraphServer({
      name: 'product',
      port: config.port,
      host: config.host,
      schema: buildProductSchema(),
      logger,
      verifyToken: createTokenVerifier(config.jwt),
      context: (base) => createContext(base, { store, inventory }),
      readiness: { sqlite: () => store.ping() },
      // The catalog may be reused by the gateway's public cache for as long as PUBLIC_CACHE_TTL_MS
      // allows at most (60 s); `availability` is live and marks its answers no-store.
      cacheMaxAgeSeconds: CATALOG_MAX_AGE_SECONDS,
    });
    cleanup.push(subgraph.stop);
    const grpcAddress = `${dialHost(config.host)}:${grpc.port}`;
    logger.info({ grpcAddress }, 'ProductCatalog gRPC ready');
    return { graphqlUrl: subgraph.url, grpcAddress, stop: stopAll };
  } catch (err) {
    await stopAll().catch((cleanupErr: unknown) =>
      logger.warn({ err: cleanupErr }, 'cleanup after a failed start failed'),
    );
    throw err;
  }
}

async function seed(store: ProductStore, logger: Logger): Promise<void> {
  const inserted = await seedCatalog(store);
  if (inserted > 0) logger.info({ inserted }, 'demo catalog seeded');
}

/** A server bound to every interface is dialled on loopback. */
function dialHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}
