import type { GraphQLSchema } from 'graphql';
import type { Kafka } from 'kafkajs';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Viewer } from '@shop/shared';
import type { HttpServerAttachment } from '../service';
import { startOrderEventsFeed } from './orderEventsFeed';
import { subscribeToOrderStatus } from './orderStatusChanged';
import { subscriptionsActive, websocketConnections } from '../observability/websocketMetrics';

/**
 * GraphQL subscriptions over graphql-ws on the gateway's own `/graphql` URL. @apollo/gateway
 * cannot execute subscriptions, so the gateway serves them itself: `order-events` drives them
 * and each event's selection set is resolved through the supergraph (orderStatusChanged.ts).
 * Connecting needs `{ "authorization": "Bearer <JWT>" }` in the connection parameters; a
 * missing or bad token closes the socket with 4403 Forbidden.
 */
export function orderSubscriptions(options: {
  kafka: Kafka;
  topic: string;
  instanceId?: string;
}): HttpServerAttachment {
  return {
    name: 'subscriptions',
    attach: async ({ httpServer, gateway, authenticate, execute, logger }) => {
      const feed = startOrderEventsFeed({ ...options, logger });
      let schema: GraphQLSchema | undefined;
      const stopFollowingSchema = gateway.onSchemaLoadOrUpdate(({ apiSchema }) => {
        schema = apiSchema;
      });
      const wss = new WebSocketServer({ server: httpServer, path: '/graphql' });
      const viewers = new WeakMap<object, Viewer>();
      const running = new WeakMap<object, Set<string>>();
      const server = useServer(
        {
          schema: () => {
            if (!schema) throw new Error('The supergraph is not loaded yet; retry shortly.');
            return schema;
          },
          onConnect: async (ctx) => {
            const params = ctx.connectionParams ?? {};
            const header = params.authorization ?? params.Authorization;
            try {
              const viewer = await authenticate(typeof header === 'string' ? header : undefined);
              if (!viewer) return false;
              viewers.set(ctx.extra, viewer);
              websocketConnections.inc();
              return true;
            } catch {
              return false;
            }
          },
          // Only acknowledged connections were counted (onConnect); graphql-ws completes every
          // running operation before it closes the socket, so the gauges return to zero.
          onDisconnect: () => void websocketConnections.dec(),
          onOperation: (ctx, id) => {
            running.set(ctx.extra, (running.get(ctx.extra) ?? new Set()).add(id));
            subscriptionsActive.inc();
          },
          onComplete: (ctx, id) => {
            if (running.get(ctx.extra)?.delete(id)) subscriptionsActive.dec();
          },
          context: (ctx) => ({ viewer: viewers.get(ctx.extra) }),
          subscribe: (args) => subscribeToOrderStatus(args, { feed, execute }),
        },
        wss,
      );
      logger.info('subscriptions served over graphql-ws at /graphql');
      return {
        /** Resolves once new order events will reach subscribers; tests wait on it. */
        ready: feed.ready,
        dispose: async () => {
          await server.dispose();
          stopFollowingSchema();
          await feed.stop();
        },
      };
    },
  };
}
