import { GraphQLError } from 'graphql';
import type { SubscriptionResolvers } from '../__generated__/resolvers-types';

/**
 * The gateway serves subscriptions itself (gateway/src/subscriptions); a client that reaches
 * this subgraph directly is told where to go instead of waiting on a stream that never comes.
 */
export const Subscription: SubscriptionResolvers = {
  orderStatusChanged: {
    subscribe: () => {
      throw new GraphQLError(
        'Subscribe through the gateway: graphql-ws at ws://<gateway>/graphql.',
        { extensions: { code: 'BAD_REQUEST' } },
      );
    },
  },
};
