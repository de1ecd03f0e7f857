import { readFileSync } from 'node:fs';
import path from 'node:path';
import { QueryPlanner } from '@apollo/query-planner';
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

  it('multiplies nested lists, and counts the product entity fetch per representation', () => {
    // Operation-level this was 67; the plan has two fetches:
    // orders fetch: orders 1 + 3 × (edge 1 + order 1 + 10 items × (item 1 + product key 1)) = 67
    // product _entities at orders.edges.@.node.items.@.product: 3 edges × 10 items = 30
    //   representations × (Product 1 + name 0) = 30
    expect(
      cost('{ orders(first: 3) { edges { node { id items { quantity product { name } } } } } }'),
    ).toBe(97);
  });

  it('scores the cart page over its cart and product fetches', () => {
    // Operation-level: cart 1 + 10 items × (item 1 + product 1 + price 1) = 31.
    // cart fetch: cart 1 + 10 × (item 1 + product key 1) = 21
    // product _entities at cart.items.@.product: 10 representations × (Product 1 + price 1) = 20
    expect(cost('{ cart { items { quantity product { name price { amount } } } } }')).toBe(41);
  });

  it('plans a distinct operation once and sizes each request from its variables', () => {
    const planned = jest.spyOn(QueryPlanner.prototype, 'buildQueryPlan');
    try {
      const query =
        'query History($n: Int) { orders(first: $n) { edges { node { items { product { name } } } } } }';
      // orders 1 + n × (edge 1 + order 1 + 10 × (item 1 + product 1)) + n × 10 × Product 1
      expect(cost(query, { n: 3 })).toBe(1 + 3 * 22 + 30);
      expect(cost(query, { n: 5 })).toBe(1 + 5 * 22 + 50);
      expect(planned).toHaveBeenCalledTimes(1);
    } finally {
      planned.mockRestore();
    }
  });

  it('plans each named operation of one document apart', () => {
    const document = parse(`query Cart { cart { items { product { name } } } }
      query Ids { cart { items { quantity } } }`);
    const named = (name: string) => {
      const operation = getOperationAST(document, name);
      if (!operation) throw new Error(name);
      return estimator.estimate(document, operation, {}, 'the same text');
    };
    // Cart: cart 1 + 10 × (item 1 + product key 1) + 10 × Product 1; Ids: cart 1 + 10 × item 1
    expect(named('Cart')).toBe(31);
    expect(named('Ids')).toBe(11);
  });

  it('scores a subscription over its primary fetch and the entity fetches of each event', () => {
    // orders fetch: orderStatusChanged 1 + 10 items × (item 1 + product key 1) = 21;
    // product _entities: 10 representations × Product 1 = 10
    expect(
      cost('subscription { orderStatusChanged(orderId: "o1") { id items { product { name } } } }'),
    ).toBe(31);
  });

  it('counts a conditional entity fetch only when its condition holds', () => {
    const query =
      'query($p: Boolean!) { cart { items { quantity product @include(if: $p) { name } } } }';
    // The cart fetch is scored with its selection as written (the static estimate does not
    // evaluate @include, as before): cart 1 + 10 × (item 1 + product key 1) = 21. The product
    // fetch sits under a Condition node: 0 when $p is false, 10 × Product 1 when true.
    expect(cost(query, { p: false })).toBe(21);
    expect(cost(query, { p: true })).toBe(31);
  });
});
