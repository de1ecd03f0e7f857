import path from 'node:path';
import { z } from 'zod';
import {
  env,
  loadConfig,
  subgraphServerConfig,
  subgraphServerEnv,
  type SubgraphServerConfig,
  sqliteFilePath,
} from '@shop/shared';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const DEFAULT_DATABASE_URL = `file:${path.join(REPO_ROOT, '.local', 'product.db')}`;

/** A SQLite `file:` URL, normalised to an absolute path so Prisma and the runner agree on it. */
const sqliteUrl = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      try {
        return `file:${sqliteFilePath(value)}`;
      } catch {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: 'expected a SQLite file URL such as file:/var/lib/shop/product.db',
        });
        return z.NEVER;
      }
    });

/**
 * Every setting of the product subgraph, read once from the environment. The defaults run it
 * locally with nothing else started: the catalog is a SQLite file under .local/.
 */
const shape = {
  ...subgraphServerEnv(4001),
  GRPC_PORT: env.port(50051),
  PRODUCT_DATABASE_URL: sqliteUrl(DEFAULT_DATABASE_URL),
  /** Inserts the demo catalog's missing products at start; off for a real catalog. */
  PRODUCT_SEED: env.boolean(true),
  /** The inventory stub, for `Product.availability` (one GetAvailability call per request). */
  INVENTORY_GRPC_URL: env.hostPort('127.0.0.1:50053'),
  /** Deadline of that call; past it (or with inventory down) availability is SERVICE_UNAVAILABLE. */
  INVENTORY_DEADLINE_MS: env.milliseconds(2_000),
};

export interface ProductConfig extends SubgraphServerConfig {
  grpcPort: number;
  /** Absolute `file:` URL. */
  databaseUrl: string;
  seed: boolean;
  inventoryGrpcUrl: string;
  inventoryDeadlineMs: number;
}

/** Throws ConfigError naming every bad variable (index.ts turns that into exit status 78). */
export function loadProductConfig(environment: NodeJS.ProcessEnv = process.env): ProductConfig {
  const c = loadConfig(shape, environment);
  return {
    ...subgraphServerConfig(c),
    grpcPort: c.GRPC_PORT,
    databaseUrl: c.PRODUCT_DATABASE_URL,
    seed: c.PRODUCT_SEED,
    inventoryGrpcUrl: c.INVENTORY_GRPC_URL,
    inventoryDeadlineMs: c.INVENTORY_DEADLINE_MS,
  };
}
