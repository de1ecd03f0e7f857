import type { Resolvers } from '../__generated__/resolvers-types';
import { CheckoutItem } from './CheckoutItem';
import { CheckoutSession } from './CheckoutSession';
import { DateTimeScalar as DateTime } from '@shop/shared';
import { Mutation } from './Mutation';
import { Query } from './Query';

export const resolvers: Resolvers = { Query, Mutation, CheckoutSession, CheckoutItem, DateTime };
