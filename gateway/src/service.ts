import { readFileSync } from 'node:fs';
import cluster from 'node:cluster';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import cors from 'cors';
import express, { type ErrorRequestHandler } from 'express';
import { ApolloGateway } from '@apollo/gateway';
import { Supergraph } from '@apollo/federation-internals';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import { GraphQLError } from 'graphql';
import {
  createErrorFormatter,
  createLogger,
  healthRouter,
  httpRoute,
  metricsRouter,
  requestIdMiddleware,
  setRequestUser,
  withTimeout,
  type Logger,
  type Viewer,
} from '@shop/shared';
import { authenticate, createGatewayTokenVerifier, type GatewayContext } from './auth';
import { subgraphUrlOverrides, type GatewayConfig } from './config';
import { redisApqCache } from './edge/apqCache';
import { deadlinePlugin } from './edge/deadline';
import { CostEstimator } from './edge/demandControl';
import { edgePlugin } from './edge/plugin';
import { RateLimiter } from './edge/rateLimit';
import { Safelist, safelistMiddleware } from './edge/safelist';
import { trustProxySetting } from './edge/trustProxy';
import { publicCacheSettings } from './performance/config';
import { publicResponseCache } from './performance/publicResponseCache';
import { anonymousResponseCache } from './performance/anonymousResponseCache';
import { SubgraphDataSource, type Fetcher } from './subgraphDataSource';
import { operationObservabilityPlugin } from './observability/operationPlugin';
import type { SupergraphExecutor } from './subscriptions/orderStatusChanged';

/**
 * What an attachment gets to serve beside Apollo Server on the same HTTP server and path.
 * This is the seam for subscriptions: a graphql-ws `WebSocketServer({ server: httpServer,
 * path: '/graphql' })` attaches here, authenticates `connectionParams.authorization` with
 * `authenticate`, and follows `gateway.onSchemaLoadOrUpdate` for the API schema.
 */
export interface GatewaySeam {
  httpServer: http.Server;
  gateway: ApolloGateway;
  authenticate: (authorization: string | undefined) => Promise<Viewer | undefined>;
  /** Runs an operation through Apollo Server and the query planner as `viewer`. */
  execute: SupergraphExecutor;
  logger: Logger;
}

export interface HttpServerAttachment {
  name: string;
  /** Called before the supergraph loads, so schema listeners see the first load. */
  attach: (seam: GatewaySeam) => Promise<{ ready?: Promise<void>; dispose: () => Promise<void> }>;
}

export interface GatewayOptions {
  logger?: Logger;
  /** Served on the same HTTP server; disposed of when the gateway drains. */
  attachments?: HttpServerAttachment[];
  /** What /metrics answers, when not this process's registry (a cluster worker's). */
  metrics?: () => Promise<string>;
}

export interface RunningGateway {
  /** The GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  url: string;
  httpServer: http.Server;
  /** Where /metrics and /health/subgraphs are when INTERNAL_PORT is in effect. */
  internalUrl?: string;
  /** Resolves when every attachment (e.g. the subscription feed) is ready. */
  ready: Promise<void>;
  /** Stops taking requests, lets in-flight ones finish, then closes everything. */
  stop: () => Promise<void>;
}

/**
 * The gateway: @apollo/gateway plans each operation over the committed supergraph, inside
 * Apollo Server on express, with `/health/*` and `/metrics` beside `/graphql`.
 */
export async function createGateway(
  config: GatewayConfig,
  options: GatewayOptions = {},
): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger('gateway', config.logLevel);
  const supergraphSdl = readFileSync(config.supergraphPath, 'utf8');
  const subgraphUrls = resolveSubgraphUrls(supergraphSdl, config, logger);
  const verify = createGatewayTokenVerifier(config);
  const authenticateHeader = (authorization: string | undefined) =>
    authenticate(verify, authorization);

  const gateway = new ApolloGateway({
    supergraphSdl,
    logger,
    buildService: ({ name, url }) =>
      new SubgraphDataSource({
        name,
        url: subgraphUrls.get(name) ?? url ?? '',
        timeoutMs: config.subgraphTimeoutMs,
        logger,
        breaker: {
          errorThresholdPercentage: config.breaker.errorPercent,
          volumeThreshold: config.breaker.volumeThreshold,
          resetTimeout: config.breaker.resetMs,
        },
        wrapFetcher: withPublicCache(config, name),
      }),
  });

  const { enabled: rateLimitEnabled, ...rateLimit } = config.rateLimit;
  const rateLimiter = rateLimitEnabled
    ? new RateLimiter({ redisUrl: config.redisUrl, ...rateLimit }, logger)
    : undefined;
  await rateLimiter?.connected(2000);

  const apqCache =
    config.persistedQueries.mode === 'apq'
      ? redisApqCache(config.redisUrl, config.persistedQueries.prefix, logger)
      : undefined;
  const safelist =
    config.persistedQueries.mode === 'safelist'
      ? Safelist.fromFile(config.persistedQueries.manifestPath)
      : undefined;
  if (safelist) logger.info({ operations: safelist.size }, 'safelist mode: persisted queries only');

  const app = express();
  app.disable('x-powered-by');
  // Only the configured proxies' X-Forwarded-For is believed; unset, req.ip is the peer.
  app.set('trust proxy', trustProxySetting(config.trustedProxies));
  app.use(requestIdMiddleware());
  const httpServer = http.createServer(app);

  // Assigned below; attachments only call `execute` once requests arrive, after start().
  const started: { server?: ApolloServer<GatewayContext> } = {};
  const execute: SupergraphExecutor = async (query, variables, viewer) => {
    if (!started.server) throw new Error('the gateway has not started');
    const response = await started.server.executeOperation(
      { query, variables },
      { contextValue: { viewer } },
    );
    if (response.body.kind !== 'single') throw new Error('incremental delivery is not supported');
    return response.body.singleResult;
  };
  const seam: GatewaySeam = {
    httpServer,
    gateway,
    authenticate: authenticateHeader,
    execute,
    logger,
  };
  const attached: { name: string; ready?: Promise<void>; dispose: () => Promise<void> }[] = [];
  for (const attachment of options.attachments ?? []) {
    attached.push({ name: attachment.name, ...(await attachment.attach(seam)) });
  }

  let draining = false;
  const apolloServer = new ApolloServer<GatewayContext>({
    gateway,
    includeStacktraceInErrorResponses: false,
    introspection: config.introspection,
    // "Did you mean …?" in validation errors would hand out the schema piece by piece.
    hideSchemaDetailsFromClientErrors: config.production,
    // In safelist mode the safelist middleware has already turned ids into listed text.
    persistedQueries: apqCache
      ? { cache: apqCache, ttl: config.persistedQueries.ttlSeconds }
      : false,
    // index.ts's installShutdown owns SIGTERM/SIGINT; Apollo Server's own handler would stop
    // the server and re-raise the signal, killing the process before the ordered shutdown ends.
    stopOnTerminationSignals: false,
    formatError: createErrorFormatter((err) => logger.error({ err }, 'unexpected gateway error')),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      config.landingPage
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true })
        : ApolloServerPluginLandingPageDisabled(),
      disposeOnDrain(attached),
      subscriptionsNeedWebSocket(),
      deadlinePlugin(config.requestTimeoutMs),
      edgePlugin({
        limits: config.operationLimits,
        estimator: new CostEstimator(
          supergraphSdl,
          config.cost.defaultListSize,
          config.cost.planCacheSize,
        ),
        costMax: config.cost.max,
        rateLimiter,
      }),
      operationObservabilityPlugin(logger),
      // After the edge plugin: a cached answer has still passed the limits and been charged.
      ...(config.publicCache.ttlMs > 0
        ? [anonymousResponseCache({ ttlMs: config.publicCache.ttlMs })]
        : []),
    ],
  });
  started.server = apolloServer;
  await apolloServer.start();

  app.use(
    healthRouter(
      // Ready = the supergraph is loaded and we are not draining. Subgraph outages are not a
      // reason to leave the load balancer: the rest of the graph still answers, and the
      // failing part says SERVICE_UNAVAILABLE. /health/subgraphs shows them for operators.
      { supergraph: async () => undefined },
      { draining: () => draining },
    ),
  );
  // Operator views: on their own port when INTERNAL_PORT is in effect (production), where the
  // load balancer does not send the internet; else beside /graphql, as locally.
  const internalApp = config.internalPort === undefined ? app : express();
  internalApp.disable('x-powered-by');
  internalApp.get('/health/subgraphs', async (_req, res) => {
    const report = await probeSubgraphs(subgraphUrls);
    const healthy = Object.values(report).every((r) => r === 'ok');
    res
      .status(healthy ? 200 : 503)
      .json({ status: healthy ? 'ok' : 'degraded', subgraphs: report });
  });
  internalApp.use(metricsRouter(options.metrics));
  app.get('/', (_req, res) => res.redirect('/graphql'));
  app.use(
    '/graphql',
    httpRoute('/graphql'),
    corsFor(config.corsOrigins),
    express.json({ limit: config.requestBodyLimit }),
    ...(safelist ? [safelistMiddleware(safelist)] : []),
    expressMiddleware(apolloServer, {
      context: async ({ req }) => {
        const viewer = await authenticateHeader(req.headers.authorization);
        setRequestUser(viewer?.userId);
        return {
          viewer,
          clientIp: req.ip ?? req.socket.remoteAddress ?? 'unknown',
          cartToken: req.get('x-cart-token'),
          deadline: AbortSignal.timeout(config.requestTimeoutMs),
        };
      },
    }),
  );
  app.use(jsonErrors(config.requestBodyLimit, logger));

  // A cluster worker (GATEWAY_WORKERS) listens on a socket of its own, which the kernel balances
  // across workers (SO_REUSEPORT, Linux). Through the primary's round robin instead, a
  // connection handed to a worker just as it died was never answered nor closed.
  const ownSocket = cluster.isWorker && process.platform === 'linux';
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen({ port: config.port, host: config.host, reusePort: ownSocket }, resolve);
  });
  const { port } = httpServer.address() as AddressInfo;
  const host = ['0.0.0.0', '::'].includes(config.host) ? '127.0.0.1' : config.host;
  const url = `http://${host}:${port}/graphql`;
  const internalServer =
    config.internalPort === undefined ? undefined : http.createServer(internalApp);
  if (internalServer) {
    await new Promise<void>((resolve, reject) => {
      internalServer.once('error', reject);
      internalServer.listen(
        { port: config.internalPort, host: config.host, reusePort: ownSocket },
        resolve,
      );
    });
  }
  const internalUrl = internalServer
    ? `http://${host}:${(internalServer.address() as AddressInfo).port}`
    : undefined;
  logger.info({ url, internalUrl, subgraphs: Object.fromEntries(subgraphUrls) }, 'gateway ready');

  return {
    url,
    internalUrl,
    httpServer,
    ready: Promise.all(attached.map((a) => a.ready)).then(() => undefined),
    stop: async () => {
      draining = true;
      await apolloServer.stop(); // drains HTTP, disposes attachments, stops the ApolloGateway
      await rateLimiter?.close();
      await apqCache?.close();
      if (internalServer) {
        internalServer.closeAllConnections();
        await new Promise<void>((resolve) => internalServer.close(() => resolve()));
      }
    },
  };
}

/** performance/publicResponseCache.ts for the subgraphs PUBLIC_CACHE_SUBGRAPHS lists. */
function withPublicCache(config: GatewayConfig, subgraph: string) {
  const settings = publicCacheSettings(config.publicCache, subgraph);
  return settings ? (fetcher: Fetcher) => publicResponseCache(fetcher, settings) : undefined;
}

/** Subgraph name → URL the gateway will call: the supergraph's routing URL unless overridden. */
function resolveSubgraphUrls(
  supergraphSdl: string,
  config: GatewayConfig,
  logger: Logger,
): Map<string, string> {
  const urls = new Map(
    Supergraph.build(supergraphSdl)
      .subgraphsMetadata()
      .map(({ name, url }) => [name, url]),
  );
  for (const [name, url] of subgraphUrlOverrides(config)) {
    if (urls.has(name)) urls.set(name, url);
    else
      logger.warn({ subgraph: name }, 'URL override for a subgraph the supergraph does not have');
  }
  return urls;
}

/** Each subgraph's own /health/ready, for the operator view; never throws. */
async function probeSubgraphs(urls: Map<string, string>): Promise<Record<string, string>> {
  const entries = await Promise.all(
    [...urls].map(async ([name, url]) => {
      try {
        const res = await withTimeout(
          fetch(new URL('/health/ready', url), { signal: AbortSignal.timeout(2000) }),
          2000,
          'no answer within 2000 ms',
        );
        return [name, res.ok ? 'ok' : `not ready (HTTP ${res.status})`] as const;
      } catch (err) {
        return [name, `unreachable: ${err instanceof Error ? err.message : String(err)}`] as const;
      }
    }),
  );
  return Object.fromEntries(entries);
}

/**
 * CORS for /graphql: `*` allows any origin (local default, for Sandbox and local front ends),
 * a list allows exactly those, none (production default) sends no CORS headers, so browsers on
 * other origins are refused. Tokens travel in a header, so credentials (cookies) are never allowed.
 */
function corsFor(origins: string[]) {
  return cors({ origin: origins.includes('*') ? '*' : origins.length ? origins : false });
}

/** Disposes attachments (e.g. the WebSocket server) when Apollo Server drains. */
function disposeOnDrain(
  attached: { name: string; dispose: () => Promise<void> }[],
): ApolloServerPlugin<GatewayContext> {
  return {
    async serverWillStart() {
      return {
        async drainServer() {
          await Promise.all(attached.map((a) => a.dispose()));
        },
      };
    },
  };
}

/**
 * @apollo/gateway cannot execute subscriptions; over HTTP it would fail with an internal error.
 * Say where they are served instead.
 */
function subscriptionsNeedWebSocket(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation !== 'subscription') return;
          throw new GraphQLError(
            'Subscriptions are served over WebSocket (graphql-ws protocol) at this same /graphql URL.',
            { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } },
          );
        },
      };
    },
  };
}

/**
 * Errors that happen before Apollo Server sees the request (body too large, body not JSON)
 * answer as GraphQL-shaped JSON; express's default would be an HTML page with a stack trace.
 */
function jsonErrors(bodyLimit: string, logger: Logger): ErrorRequestHandler {
  return (err: { type?: string; status?: number }, _req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const body = (status: number, message: string) =>
      res.status(status).json({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
    if (err.type === 'entity.too.large') {
      body(413, `The request body is larger than the ${bodyLimit} limit.`);
    } else if (err.type === 'entity.parse.failed') {
      body(400, 'The request body is not valid JSON.');
    } else if (typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
      body(err.status, 'The request could not be read.');
    } else {
      logger.error({ err }, 'unexpected HTTP error');
      res.status(500).json({
        errors: [
          {
            message: 'Something went wrong on our side.',
            extensions: { code: 'INTERNAL_SERVER_ERROR' },
          },
        ],
      });
    }
  };
}
