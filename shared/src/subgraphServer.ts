import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControl } from '@apollo/server/plugin/cacheControl';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import { viewerFromHeader, type TokenVerifier, type Viewer } from './auth';
import { createErrorFormatter } from './errors';
import { healthRouter, type ReadinessCheck } from './health';
import { metricsRouter } from './metrics';
import { httpRoute } from './telemetry/httpRoute';
import { requestIdMiddleware, setRequestUser } from './telemetry/requestContext';

/** What every subgraph resolver can count on; each subgraph extends it with its data sources. */
export interface BaseContext {
  viewer: Viewer | undefined;
  /**
   * The `X-Cart-Token` header, unverified: only the cart subgraph reads it (guest carts), and
   * the gateway forwards it to no other subgraph.
   */
  cartToken?: string;
  logger: Logger;
}

export interface SubgraphServerOptions<TContext extends BaseContext> {
  name: string;
  port: number;
  /** Built with `buildSubgraphSchema` from the subgraph's schema.graphql and resolvers. */
  schema: GraphQLSchema;
  logger: Logger;
  verifyToken: TokenVerifier;
  /** Adds the subgraph's own data sources (loaders are per request) to the base context. */
  context: (base: BaseContext) => TContext | Promise<TContext>;
  /**
   * What the HTTP API cannot serve without, named after the server (`postgres`, `mongodb`,
   * `sqlite`) and checked with the store's `ping()` (docs/subgraph-skeleton.md, "Readiness").
   */
  readiness: Record<string, ReadinessCheck>;
  /** Kafka consumers by topic: shown on /health/ready, never failing it (see healthRouter). */
  consumers?: Record<string, () => boolean>;
  /** Host to bind; loopback unless told otherwise (containers set 0.0.0.0). */
  host?: string;
  /**
   * Seconds a cache in front (the gateway's public cache) may reuse an answer, sent as
   * `Cache-Control: max-age=N, public` unless a resolver sets a shorter hint (a live field sets
   * maxAge 0: `no-store`). Unset: Apollo's default, every answer `no-store`.
   */
  cacheMaxAgeSeconds?: number;
}

export interface RunningSubgraph {
  url: string;
  server: ApolloServer<BaseContext>;
  /** Stops taking requests and waits for those in flight. */
  stop: () => Promise<void>;
}

export function createApolloServer<TContext extends BaseContext>(
  schema: GraphQLSchema,
  logger: Logger,
  plugins: ConstructorParameters<typeof ApolloServer<TContext>>[0]['plugins'] = [],
): ApolloServer<TContext> {
  return new ApolloServer<TContext>({
    schema,
    // Federated traces are for GraphOS usage reporting, which this project does not use.
    plugins: [ApolloServerPluginInlineTraceDisabled(), ...(plugins ?? [])],
    includeStacktraceInErrorResponses: false,
    // installShutdown owns SIGTERM/SIGINT. Apollo's own handler would stop only this server and
    // re-raise the signal, killing the process before gRPC servers and databases are closed.
    stopOnTerminationSignals: false,
    formatError: createErrorFormatter((err) => logger.error({ err }, 'unexpected resolver error')),
  });
}

/**
 * One HTTP server per subgraph: `/graphql` (Apollo Server), `/health/*` and `/metrics`.
 * The token the gateway forwards is verified here again, so a subgraph reached directly
 * cannot be fooled by a forged header.
 */
export async function startSubgraphServer<TContext extends BaseContext>(
  options: SubgraphServerOptions<TContext>,
): Promise<RunningSubgraph> {
  const app = express();
  const httpServer = http.createServer(app);
  let draining = false;
  const server = createApolloServer<TContext>(options.schema, options.logger, [
    ApolloServerPluginDrainHttpServer({ httpServer }),
    ...(options.cacheMaxAgeSeconds === undefined
      ? []
      : [ApolloServerPluginCacheControl({ defaultMaxAge: options.cacheMaxAgeSeconds })]),
  ]);
  await server.start();
  app.use(
    healthRouter(options.readiness, {
      draining: () => draining,
      consumers: options.consumers,
    }),
  );
  app.use(metricsRouter());
  app.use(
    '/graphql',
    httpRoute('/graphql'),
    // The gateway's X-Request-Id, so this subgraph's lines join the gateway's access line.
    requestIdMiddleware(),
    express.json({ limit: '1mb' }),
    expressMiddleware(server, {
      context: async ({ req }) => {
        const viewer = await viewerFromHeader(options.verifyToken, req.headers.authorization);
        setRequestUser(viewer?.userId);
        const cartToken = req.headers['x-cart-token'];
        return options.context({
          viewer,
          cartToken: typeof cartToken === 'string' ? cartToken : undefined,
          logger: options.logger,
        });
      },
    }),
  );
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host ?? '127.0.0.1', resolve);
  });
  const { port } = httpServer.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/graphql`;
  options.logger.info({ url }, `${options.name} subgraph ready`);
  return {
    url,
    server: server as unknown as ApolloServer<BaseContext>,
    stop: async () => {
      draining = true;
      await server.stop();
    },
  };
}
