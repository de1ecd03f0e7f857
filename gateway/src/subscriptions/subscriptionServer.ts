import type { GraphQLSchema } from 'graphql';
import { GraphQLError } from 'graphql';
import { decodeJwt } from 'jose';
import type { Kafka } from 'kafkajs';
import { WebSocketServer, type WebSocket } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { loadConfig, type Viewer } from '@shop/shared';
import { subscriptionLimits, subscriptionLimitsShape, type SubscriptionLimits } from '../config';
import type { HttpServerAttachment } from '../service';
import { startOrderEventsFeed } from './orderEventsFeed';
import { subscribeToOrderStatus, type SubscriptionContext } from './orderStatusChanged';
import { SharedOrderReads } from './sharedOrderReads';

/** The WebSocket and subscription limits of the gateway configuration. */
export type { SubscriptionLimits };
/** The documented defaults, for callers (tests) that pass only some limits. */
export const DEFAULT_SUBSCRIPTION_LIMITS: SubscriptionLimits = subscriptionLimits(
  loadConfig(subscriptionLimitsShape, {}),
);

/** Close codes beyond graphql-ws's own (4400, 4403, 4408, …); README lists them all. */
export const CloseCodes = {
  TokenExpired: 4401,
  TooManyConnections: 4429,
} as const;

/** setTimeout cannot wait longer than this (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Connection {
  viewer?: Viewer;
  subscriptions: number;
  expiry?: NodeJS.Timeout;
}
import { subscriptionsActive, websocketConnections } from '../observability/websocketMetrics';

/**
 * GraphQL subscriptions over graphql-ws on the gateway's own `/graphql` URL. @apollo/gateway
 * cannot execute subscriptions, so the gateway serves them itself: `order-events` triggers
 * them and each subscriber's selection is read through the supergraph (sharedOrderReads.ts).
 * Connecting needs `{ "authorization": "Bearer <JWT>" }` in the connection parameters; a
 * missing or bad token closes the socket with 4403 Forbidden, and the socket is closed with
 * 4401 when the token expires.
 */
export function orderSubscriptions(options: {
  kafka: Kafka;
  topic: string;
  instanceId?: string;
  limits?: Partial<SubscriptionLimits>;
}): HttpServerAttachment {
  const limits = { ...DEFAULT_SUBSCRIPTION_LIMITS, ...options.limits };
  return {
    name: 'subscriptions',
    attach: async ({ httpServer, gateway, authenticate, execute, logger }) => {
      const reads = new SharedOrderReads(execute, logger, limits.readConcurrency);
      const feed = startOrderEventsFeed({
        ...options,
        logger,
        handlers: {
          changed: (orderId, userId, version, committedAtMs) =>
            reads.changed(orderId, userId, version, committedAtMs),
          resync: () => reads.resyncAll(),
        },
      });
      let schema: GraphQLSchema | undefined;
      const stopFollowingSchema = gateway.onSchemaLoadOrUpdate(({ apiSchema }) => {
        schema = apiSchema;
      });
      const wss = new WebSocketServer({
        server: httpServer,
        path: '/graphql',
        maxPayload: limits.maxPayloadBytes,
      });
      const connections = new WeakMap<WebSocket, Connection>();
      const connectionsPerUser = new Map<string, number>();
      const budget = {
        maxBufferedBytes: limits.maxBufferedBytes,
        maxQueuedMessages: limits.maxQueuedMessages,
      };
      const server = useServer<Record<string, unknown>, { socket: WebSocket }>(
        {
          schema: () => {
            if (!schema) throw new Error('The supergraph is not loaded yet; retry shortly.');
            return schema;
          },
          connectionInitWaitTimeout: limits.connectionInitTimeoutMs,
          onConnect: async (ctx) => {
            const socket = ctx.extra.socket;
            const params = ctx.connectionParams ?? {};
            const header = params.authorization ?? params.Authorization;
            let viewer: Viewer | undefined;
            try {
              viewer = await authenticate(typeof header === 'string' ? header : undefined);
            } catch {
              return false;
            }
            if (!viewer) return false;
            const open = connectionsPerUser.get(viewer.userId) ?? 0;
            if (open >= limits.maxConnectionsPerUser) {
              socket.close(
                CloseCodes.TooManyConnections,
                `Too many connections: at most ${limits.maxConnectionsPerUser} per user`,
              );
              return false;
            }
            connectionsPerUser.set(viewer.userId, open + 1);
            const connection: Connection = { viewer, subscriptions: 0 };
            // The token was verified just now, so its exp is trustworthy; decoding suffices.
            const exp = decodeJwt(viewer.token).exp;
            if (exp !== undefined) {
              const wait = Math.min(Math.max(exp * 1000 - Date.now(), 0), MAX_TIMER_MS);
              connection.expiry = setTimeout(
                () => socket.close(CloseCodes.TokenExpired, 'Token expired'),
                wait,
              );
              connection.expiry.unref();
            }
            connections.set(socket, connection);
            websocketConnections.inc();
            return true;
          },
          onDisconnect: (ctx) => releaseConnection(ctx.extra.socket),
          onClose: (ctx) => releaseConnection(ctx.extra.socket),
          onSubscribe: (ctx) => {
            const connection = connections.get(ctx.extra.socket);
            if (!connection) return undefined;
            if (connection.subscriptions >= limits.maxSubscriptionsPerConnection) {
              return [
                new GraphQLError(
                  `This connection already has ${limits.maxSubscriptionsPerConnection} subscriptions, the most allowed; complete one first or open another connection.`,
                  { extensions: { code: 'BAD_USER_INPUT' } },
                ),
              ];
            }
            connection.subscriptions++;
            subscriptionsActive.inc();
            return undefined;
          },
          onComplete: (ctx) => {
            const connection = connections.get(ctx.extra.socket);
            if (!connection || connection.subscriptions === 0) return;
            connection.subscriptions--;
            subscriptionsActive.dec();
          },
          context: (ctx): SubscriptionContext => ({
            viewer: connections.get(ctx.extra.socket)?.viewer,
            socket: ctx.extra.socket,
          }),
          subscribe: (args) => subscribeToOrderStatus(args, { reads, budget }),
        },
        wss,
        limits.keepaliveMs > 0 ? limits.keepaliveMs : Infinity,
      );

      function releaseConnection(socket: WebSocket): void {
        const connection = connections.get(socket);
        if (!connection?.viewer) return;
        connections.delete(socket);
        clearTimeout(connection.expiry);
        // The gauges follow the connection map: whatever it still held leaves with it.
        websocketConnections.dec();
        subscriptionsActive.dec(connection.subscriptions);
        const open = (connectionsPerUser.get(connection.viewer.userId) ?? 1) - 1;
        if (open > 0) connectionsPerUser.set(connection.viewer.userId, open);
        else connectionsPerUser.delete(connection.viewer.userId);
      }

      logger.info('subscriptions served over graphql-ws at /graphql');
      return {
        /** Resolves once new order events will reach subscribers; tests wait on it. */
        ready: feed.ready,
        dispose: async () => {
          reads.stop();
          await server.dispose();
          stopFollowingSchema();
          await feed.stop();
        },
      };
    },
  };
}
