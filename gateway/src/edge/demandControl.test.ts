import { readFileSync } from 'node:fs';
import path from 'node:path';
import { getOperationAST, parse } from 'graphql';
import { CostEstimator } from './demandControl';

/** The estimate of known operations against the committed supergraph, to the unit. */
describe('CostEstimator on the shop supergraph', () => {
  const sdl = readFileSync(path.resolve(__dirname, '..', '..', '..', 'supergraph.graphql'), 'utf8');
  const estimator = new CostEstimator(sdl, 10);
  const cost = (query: string, variables?: Record<string, unknown>) => {
    const document = parse(query);
    const operation = getOperationAST(document);
    if (!operation) throw new Error('no operation');
    return estimator.estimate(document, operation, variables);
  };

  it('sizes a connection by `first` through @listSize sizedFields', () => {
    // products 1 + pageInfo 1 + 5 edges × (edge 1 + node 1 + price 1)
    expect(
      cost(`{ products(first: 5) { totalCount pageInfo { hasNextPage endCursor }
        edges { cursor node { id name price { amount currencyCode } } } } }`),
    ).toBe(17);
  });

  it('uses the slicing argument from variables, and its default when absent', () => {
    expect(
      cost('query($n: Int) { products(first: $n) { edges { node { id } } } }', { n: 50 }),
    ).toBe(101);
    expect(cost('{ products { edges { node { id } } } }')).toBe(41); // first defaults to 20
  });

  it('counts fragments and inline fragments like the fields they hold', () => {
    expect(
      cost(
        '{ ...P } fragment P on Query { products(first: 2) { edges { ... on ProductEdge { node { id } } } } }',
      ),
    ).toBe(5);
  });

  it('charges 10 per mutation root field and the default list size for unsized lists', () => {
    // addToCart 10 + an input-free mutation; items: 10 (default) × CartItem 1
    expect(
      cost('mutation { addToCart(productId: "p1", quantity: 1) { id items { quantity } } }'),
    ).toBe(20);
  });

  it('multiplies nested lists', () => {
    // orders 1 + 3 × (edge 1 + order 1 + 10 items × (item 1 + product 1))
    expect(
      cost('{ orders(first: 3) { edges { node { id items { quantity product { name } } } } } }'),
    ).toBe(67);
  });
});
