import { z } from 'zod';
import { env } from '@shop/shared';

/**
 * An empty variable counts as unset (its default applies): z.coerce turns "" into 0, which would
 * silently mean "port 0" or "no charge succeeds".
 */
export function blankAsUnset<T extends z.ZodTypeAny>(schema: T) {
  return z.preprocess((v) => (v === '' ? undefined : v), schema);
}

/** Unlike `env.port`, 0 is allowed: it asks the OS for a free port, so tests run stubs side by side. */
const portOrZero = z.coerce.number().int().min(0).max(65535);

/** The variables every stub process reads, besides its own. */
export function stubListenShape(defaultGrpcPort: number) {
  return {
    /** Loopback by default; a container sets 0.0.0.0. */
    GRPC_HOST: z.string().min(1).default('127.0.0.1'),
    GRPC_PORT: blankAsUnset(portOrZero.default(defaultGrpcPort)),
    /** Optional /health/live, /health/ready and /metrics over HTTP; off when unset or empty. */
    HTTP_PORT: blankAsUnset(portOrZero.optional()),
    LOG_LEVEL: env.logLevel(),
  };
}

/** What every stub listens on and logs at, as its config names it. */
export interface StubListenConfig {
  /** Interface both servers bind (GRPC_HOST). */
  host: string;
  /** 0 binds a random free port (tests). */
  grpcPort: number;
  /** /health and /metrics over HTTP; undefined = off. */
  httpPort: number | undefined;
  logLevel: z.infer<ReturnType<typeof env.logLevel>>;
}

/** Maps the parsed `stubListenShape` variables onto their camelCase names. */
export function stubListenConfig(
  c: z.infer<z.ZodObject<ReturnType<typeof stubListenShape>>>,
): StubListenConfig {
  return { host: c.GRPC_HOST, grpcPort: c.GRPC_PORT, httpPort: c.HTTP_PORT, logLevel: c.LOG_LEVEL };
}

/** A host:port that clients on this machine can dial, even when the server bound every interface. */
export function dialAddress(host: string, port: number): string {
  const dialHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `${dialHost}:${port}`;
}
