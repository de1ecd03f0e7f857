import type { Resolvers } from '../__generated__/resolvers-types';
import { Category } from './Category';
import { Product } from './Product';
import { ProductConnection, ProductEdge } from './ProductConnection';
import { Query } from './Query';

export const resolvers: Resolvers = { Query, Product, Category, ProductConnection, ProductEdge };
