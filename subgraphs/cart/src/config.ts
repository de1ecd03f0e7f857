import { z } from 'zod';
import { env, loadConfig } from '@shop/shared';

export const cartConfigShape = {
  /** 0 binds any free port (tests); the defaults are DESIGN.md's ports. */
  PORT: env.port(4002),
  GRPC_PORT: env.port(50052),
  /** The database name is the URL's path. */
  MONGO_URL: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\/\S+$/, 'expected a mongodb:// or mongodb+srv:// URL')
    .default('mongodb://127.0.0.1:27017/shop'),
  REDIS_URL: env.url('redis://127.0.0.1:6379', ['redis', 'rediss']),
  PRODUCT_GRPC_URL: env.hostPort('127.0.0.1:50051'),
  /** false: every read goes to MongoDB (the benchmark's baseline). */
  CART_CACHE_ENABLED: env.boolean(true),
  /** Budget of one Redis command before the read falls back to MongoDB. */
  REDIS_COMMAND_TIMEOUT_MS: env.milliseconds(100),
  /** gRPC deadline of one catalog call. */
  PRODUCT_GRPC_DEADLINE_MS: env.milliseconds(2000),
  /** How often expired carts are deleted where MongoDB has no TTL index (FerretDB). */
  CART_SWEEP_INTERVAL_MS: env.milliseconds(60 * 60_000),
  JWT_SECRET: env.jwtSecret(),
  LOG_LEVEL: env.logLevel(),
};

export type CartConfig = ReturnType<typeof loadCartConfig>;

export function loadCartConfig(source: NodeJS.ProcessEnv = process.env) {
  return loadConfig(cartConfigShape, source);
}
