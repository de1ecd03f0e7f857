/**
 * The operations the e2e client (shopper.ts) and the journeys send as a shopper or staff would,
 * each named and marked with the GraphQL magic comment, so that Apollo's manifest tool plucks
 * them from this very file (`npm run persisted:manifest`, persisted-query-manifest.config.json):
 * what a gateway with PERSISTED_QUERIES=safelist accepts is what these tests send, not a copy.
 *
 * No `${…}` in a literal but a fragment's: the tool drops interpolations and finds fragments by
 * name among the documents, as Apollo Client's fragment registry does, so anything else
 * interpolated would be sent but not listed (gateway/src/edge/persistedQueryManifest.test.ts
 * checks each constant as sent). Probes of refusals (another user's order, an anonymous cart,
 * made-up ids) stay inline in the journeys: they are not what a client of the shop sends.
 */

/** Everything the journeys look at on an order, for reads, cancellations and subscriptions. */
export const ORDER_FIELDS = /* GraphQL */ `
  fragment E2EOrderFields on Order {
    id
    status
    version
    checkoutId
    cancellationReason
    total {
      amount
    }
    items {
      productName
      quantity
      product {
        name
        price {
          amount
        }
      }
    }
    refund {
      status
      amount {
        amount
        currencyCode
      }
      requestedAt
      refundedAt
      failureReason
    }
  }
`;

export const CATALOG_PAGE = /* GraphQL */ `
  query E2ECatalogPage {
    products(first: 5) {
      edges {
        node {
          id
          name
          price {
            amount
          }
        }
      }
    }
  }
`;

export const PRODUCT = /* GraphQL */ `
  query E2EProduct($id: ID!) {
    product(id: $id) {
      id
      name
      price {
        amount
      }
    }
  }
`;

export const AVAILABILITY_PAGE = /* GraphQL */ `
  query E2EAvailabilityPage {
    products(first: 30) {
      edges {
        node {
          id
          availability {
            quantityAvailable
          }
        }
      }
    }
  }
`;

export const CATEGORIES = /* GraphQL */ `
  query E2ECategories {
    categories {
      id
      name
    }
  }
`;

export const FIND_PRODUCTS = /* GraphQL */ `
  query E2EFindProducts($filter: ProductFilter!) {
    products(filter: $filter, sortBy: NAME, first: 50) {
      edges {
        node {
          id
          name
          category {
            name
          }
          availability {
            inStock
            quantityAvailable
          }
        }
      }
    }
  }
`;

export const AVAILABILITY = /* GraphQL */ `
  query E2EAvailability($id: ID!) {
    product(id: $id) {
      availability {
        inStock
        quantityAvailable
      }
    }
  }
`;

export const CART = /* GraphQL */ `
  query E2ECart {
    cart {
      totalQuantity
      items {
        product {
          id
        }
        quantity
      }
    }
  }
`;

export const CREATE_GUEST_CART = /* GraphQL */ `
  mutation E2ECreateGuestCart {
    createGuestCart {
      cartToken
    }
  }
`;

export const MERGE_GUEST_CART = /* GraphQL */ `
  mutation E2EMergeGuestCart($cartToken: String!) {
    mergeGuestCart(cartToken: $cartToken) {
      items {
        product {
          id
          name
        }
        quantity
      }
    }
  }
`;

export const ADD_TO_CART = /* GraphQL */ `
  mutation E2EAddToCart($productId: ID!, $quantity: Int!) {
    addToCart(productId: $productId, quantity: $quantity) {
      totalQuantity
      subtotal {
        amount
      }
      items {
        product {
          id
          name
        }
        quantity
      }
    }
  }
`;

export const CHECKOUT = /* GraphQL */ `
  mutation E2ECheckout($input: CheckoutInput!) {
    checkout(input: $input) {
      id
      status
      total {
        amount
      }
    }
  }
`;

export const CHECKOUT_SESSION_ORDER = /* GraphQL */ `
  query E2ECheckoutSessionOrder($id: ID!) {
    checkoutSession(id: $id) {
      id
      status
      order {
        ...E2EOrderFields
      }
    }
  }
  ${ORDER_FIELDS}
`;

export const ORDERS = /* GraphQL */ `
  query E2EOrders {
    orders(first: 50) {
      edges {
        node {
          id
          checkoutId
          status
        }
      }
    }
  }
`;

export const ORDER = /* GraphQL */ `
  query E2EOrder($id: ID!) {
    order(id: $id) {
      ...E2EOrderFields
    }
  }
  ${ORDER_FIELDS}
`;

export const CANCEL_ORDER = /* GraphQL */ `
  mutation E2ECancelOrder($id: ID!, $reason: String) {
    cancelOrder(id: $id, reason: $reason) {
      ...E2EOrderFields
    }
  }
  ${ORDER_FIELDS}
`;

export const UPDATE_ORDER_STATUS = /* GraphQL */ `
  mutation E2EUpdateOrderStatus($id: ID!, $status: OrderStatus!) {
    updateOrderStatus(id: $id, status: $status) {
      status
      refund {
        status
      }
    }
  }
`;

export const FOLLOW_ORDER = /* GraphQL */ `
  subscription E2EFollowOrder($id: ID!) {
    orderStatusChanged(orderId: $id) {
      ...E2EOrderFields
    }
  }
  ${ORDER_FIELDS}
`;
