import type { Resolvers } from '../__generated__/resolvers-types';
import { CheckoutSession } from './CheckoutSession';
import { DateTimeScalar as DateTime } from '@shop/shared';
import { Mutation } from './Mutation';
import { Order } from './Order';
import { OrderItem } from './OrderItem';
import { Query } from './Query';
import { Subscription } from './Subscription';

export const resolvers: Resolvers = {
  DateTime,
  Query,
  Mutation,
  Order,
  OrderItem,
  CheckoutSession,
  Subscription,
};
