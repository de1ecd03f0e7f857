import { createKafka, type Logger } from '@shop/shared';
import type { GatewayConfig } from '../config';
import type { HttpServerAttachment } from '../service';
import { orderSubscriptions } from './subscriptionServer';

export { orderSubscriptions };

/** What a gateway process serves beside queries, per its configuration. */
export function gatewayAttachments(config: GatewayConfig, logger: Logger): HttpServerAttachment[] {
  if (!config.SUBSCRIPTIONS_ENABLED) return [];
  const kafka = createKafka({ clientId: 'gateway', brokers: config.KAFKA_BROKERS, logger });
  return [orderSubscriptions({ kafka, topic: config.ORDER_EVENTS_TOPIC, limits: config })];
}
