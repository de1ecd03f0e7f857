import { createKafka, type Logger } from '@shop/shared';
import type { GatewayConfig } from '../config';
import type { HttpServerAttachment } from '../service';
import { orderSubscriptions } from './subscriptionServer';

export { orderSubscriptions };

/** What a gateway process serves beside queries, per its configuration. */
export function gatewayAttachments(config: GatewayConfig, logger: Logger): HttpServerAttachment[] {
  if (!config.subscriptions.enabled) return [];
  const kafka = createKafka({ clientId: 'gateway', brokers: config.kafkaBrokers, logger });
  return [
    orderSubscriptions({
      kafka,
      topic: config.topics.orderEvents,
      limits: config.subscriptions.limits,
    }),
  ];
}
