import { Gauge, register } from 'prom-client';

function gauge(name: string, help: string): Gauge {
  return (register.getSingleMetric(name) as Gauge | undefined) ?? new Gauge({ name, help });
}

/** Open graphql-ws connections on this gateway; subscriptionServer calls opened/closed. */
export const websocketConnections = gauge(
  'websocket_connections',
  'Open GraphQL-over-WebSocket connections on this gateway',
);

/** Subscription operations currently running on this gateway (all subscription fields). */
export const subscriptionsActive = gauge(
  'graphql_subscriptions_active',
  'GraphQL subscriptions currently running on this gateway',
);
