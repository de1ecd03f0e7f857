import { randomUUID } from 'node:crypto';
import { currentTraceparent, events, parseCents } from '@shop/shared';
import type { Order, OrderItem, OrderVersion } from '../__generated__/prisma/client';
import { Prisma } from '../__generated__/prisma/client';
import { decideTransition, type OrderStatus } from '../domain/orderStatus';
import type { OrderCursor } from '../domain/orderCursor';
import type { NewOrder, OrderStatements } from './orderStatements';
import type { OrdersPrisma } from './prismaClient';

/** An `orders` row as Prisma returns it: the parent object of every Order resolver. */
export type OrderRow = Order;
/** An `order_items` row. */
export type OrderItemRow = OrderItem;
/** An `order_versions` row: the order's changing fields as of one version. */
export type OrderVersionRow = OrderVersion;
/** A transaction client, as `prisma.$transaction(async (tx) => …)` hands it. */
export type OrdersTx = Prisma.TransactionClient;

/**
 * Records `order` (as the transaction just wrote it) as its version in `order_versions`. Call
 * it in the same transaction as EVERY write that moves `version` (creation, status change,
 * cancellation, refund outcome): the gateway reads subscribers' messages as of the announced
 * version, so a version without its row would never reach them. The primary key
 * (order_id, version) refuses a second row for one version, so a write that forgot to bump the
 * version fails instead of rewriting history.
 */
export async function recordVersion(tx: OrdersTx, order: OrderRow): Promise<void> {
  await tx.orderVersion.create({
    data: {
      orderId: order.id,
      version: order.version,
      status: order.status,
      updatedAt: order.updatedAt,
    },
  });
}

/** The parent of OrderItem resolvers: a row plus its order's currency, which prices it. */
export type OrderItemView = OrderItemRow & { currency: string };
/** The checkout entity as the gateway hands it to this subgraph: only its key. */
export interface CheckoutRef {
  id: string;
}

export type CreateOrderResult =
  | { created: true; order: OrderRow }
  /** The checkout already has its order: a redelivered or duplicated event. Nothing was written. */
  | { created: false };

export type StatusChangeResult =
  | { kind: 'changed'; order: OrderRow; previousStatus: OrderStatus }
  | { kind: 'not_found' }
  | { kind: 'illegal'; reason: string }
  /** The status kept changing under us; the caller may simply try again. */
  | { kind: 'conflict' };

/** How often a status change re-reads and re-decides after losing a race before giving up. */
const STATUS_CHANGE_ATTEMPTS = 3;

/**
 * Every read and write of the orders database. Writes that other services must hear about put
 * their OrderStatusChanged event in `outbox_events` in the same transaction, and the shared
 * outbox relay publishes it: the change and its event commit together or not at all.
 */
export class OrderStore {
  constructor(
    private readonly prisma: OrdersPrisma,
    private readonly orderEventsTopic: string,
    /**
     * The hot reads and the status change without Prisma (orderStatements.ts); the service
     * always passes them. Without them (some tests), everything runs on Prisma.
     */
    private readonly statements?: OrderStatements,
  ) {}

  /**
   * Records the order of a completed checkout with its items, in one transaction. Idempotent by
   * checkout id: the insert is `ON CONFLICT DO NOTHING` on the UNIQUE checkout_id, so a second
   * delivery (or two consumers racing after a rebalance: the loser waits on the unique index and
   * then inserts nothing) writes nothing, not even items or an event.
   *
   * The order's creation is published as OrderStatusChanged with previousStatus null and status
   * CONFIRMED, so a subscriber learns of every order, and of every later change, from one topic.
   */
  async createFromCheckout(event: events.CheckoutCompletedV1): Promise<CreateOrderResult> {
    if (this.statements) {
      const at = new Date();
      const order: NewOrder = {
        id: randomUUID(),
        checkoutId: event.checkoutId,
        userId: event.userId,
        totalCents: BigInt(parseCents(event.total)),
        currency: event.currency.toUpperCase(),
        at,
        items: event.items.map((item) => ({
          productId: item.productId,
          productName: item.name,
          quantity: item.quantity,
          unitPriceCents: BigInt(parseCents(item.unitPrice)),
        })),
      };
      const created = await this.statements.createOrder(
        order,
        this.statusChangedOutboxRow({ ...order, status: 'CONFIRMED', version: 1 }, null, at),
      );
      return created ? { created: true, order: created } : { created: false };
    }
    return this.prisma.$transaction(async (tx) => {
      const [order] = await tx.order.createManyAndReturn({
        data: [
          {
            id: randomUUID(),
            checkoutId: event.checkoutId,
            userId: event.userId,
            status: 'CONFIRMED',
            totalCents: BigInt(parseCents(event.total)),
            currency: event.currency.toUpperCase(),
          },
        ],
        skipDuplicates: true,
      });
      if (!order) return { created: false };
      await recordVersion(tx, order);
      await tx.orderItem.createMany({
        data: event.items.map((item, position) => ({
          orderId: order.id,
          position,
          productId: item.productId,
          productName: item.name,
          quantity: item.quantity,
          unitPriceCents: BigInt(parseCents(item.unitPrice)),
        })),
      });
      await tx.outboxEvent.create({
        data: this.statusChangedOutboxRow(order, null, order.createdAt),
      });
      return { created: true, order };
    });
  }

  /**
   * Moves an order to `to` if the state machine allows it from the status it has *now*. The
   * update is conditional (`WHERE status = <the status we decided on>`), so of two operators
   * racing, one applies and the other re-reads and is judged against the new status: two
   * conflicting transitions can never both apply, and each applied change has exactly one event.
   */
  async changeStatus(orderId: string, to: OrderStatus): Promise<StatusChangeResult> {
    for (let attempt = 0; attempt < STATUS_CHANGE_ATTEMPTS; attempt++) {
      const current = await this.findById(orderId);
      if (!current) return { kind: 'not_found' };
      const decision = decideTransition(current.status, to);
      if (!decision.ok) return { kind: 'illegal', reason: decision.reason };
      const now = new Date();
      const changed = this.statements
        ? await this.statements.changeStatusIfUnchanged({
            current,
            to,
            at: now,
            event: this.statusChangedOutboxRow(
              { ...current, status: to, version: current.version + 1 },
              current.status,
              now,
            ),
          })
        : await this.prisma.$transaction(async (tx) => {
            const [order] = await tx.order.updateManyAndReturn({
              where: { id: orderId, status: current.status },
              // The version moves with the status, in this transaction: one change, one version.
              data: { status: to, updatedAt: now, version: { increment: 1 } },
            });
            if (!order) return undefined; // someone else changed it first
            await recordVersion(tx, order);
            await tx.outboxEvent.create({
              data: this.statusChangedOutboxRow(order, current.status, now),
            });
            return order;
          });
      if (changed) return { kind: 'changed', order: changed, previousStatus: current.status };
    }
    return { kind: 'conflict' };
  }

  /**
   * The order as it was at `version`: the current row (items, total and owner never change)
   * with status, updatedAt and version from that version's history row; null when the order
   * has no such version (never had it, or it predates the history table).
   */
  async findAtVersion(id: string, version: number): Promise<OrderRow | null> {
    if (this.statements) return this.statements.findAtVersion(id, version);
    const row = await this.prisma.orderVersion.findUnique({
      where: { orderId_version: { orderId: id, version } },
      include: { order: true },
    });
    if (!row) return null;
    const { order, ...asOf } = row;
    return { ...order, status: asOf.status, updatedAt: asOf.updatedAt, version: asOf.version };
  }

  async findById(id: string): Promise<OrderRow | null> {
    if (this.statements) return (await this.statements.findByIds([id]))[0] ?? null;
    return this.prisma.order.findUnique({ where: { id } });
  }

  /** Orders by id, for the entity reference resolver (batched by a DataLoader). */
  findByIds(ids: readonly string[]): Promise<OrderRow[]> {
    if (this.statements) return this.statements.findByIds(ids);
    return this.prisma.order.findMany({ where: { id: { in: [...ids] } } });
  }

  findByCheckoutIds(checkoutIds: readonly string[]): Promise<OrderRow[]> {
    return this.prisma.order.findMany({ where: { checkoutId: { in: [...checkoutIds] } } });
  }

  /**
   * One page of a user's orders, newest first, strictly after `after`. Keyset pagination on
   * (created_at, id), served by the orders_user_newest_idx index: a page costs the same however
   * deep it is, and an order created while paging never shifts or repeats what follows.
   * Returns up to `limit` rows; ask for one more than you show to learn whether a page follows.
   */
  listForUser(userId: string, limit: number, after?: OrderCursor): Promise<OrderRow[]> {
    if (this.statements) return this.statements.listForUser(userId, limit, after);
    const where: Prisma.OrderWhereInput = after
      ? {
          userId,
          OR: [
            { createdAt: { lt: after.createdAt } },
            { createdAt: after.createdAt, id: { lt: after.id } },
          ],
        }
      : { userId };
    return this.prisma.order.findMany({
      where,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit,
    });
  }

  /** The items of several orders in checkout order (batched by a DataLoader). */
  itemsOfOrders(orderIds: readonly string[]): Promise<OrderItemRow[]> {
    if (this.statements) return this.statements.itemsOfOrders(orderIds);
    return this.prisma.orderItem.findMany({
      where: { orderId: { in: [...orderIds] } },
      orderBy: [{ orderId: 'asc' }, { position: 'asc' }],
    });
  }

  /** For readiness: throws when PostgreSQL cannot answer. */
  async ping(): Promise<void> {
    await this.prisma.$queryRaw`SELECT 1`;
  }

  /** The OrderStatusChanged outbox row of a change to `order` (also used by the cancellation store). */
  statusChangedOutboxRow(
    order: Pick<OrderRow, 'id' | 'checkoutId' | 'userId' | 'status' | 'version'>,
    previousStatus: OrderStatus | null,
    occurredAt: Date,
  ): Prisma.OutboxEventCreateInput {
    // Parsed, not just typed: a payload that breaks the contract fails here, inside the
    // transaction, instead of reaching every subscriber.
    const payload = events.OrderStatusChangedV2.parse({
      eventId: randomUUID(),
      eventType: 'OrderStatusChanged',
      version: 2,
      occurredAt: occurredAt.toISOString(),
      orderId: order.id,
      checkoutId: order.checkoutId,
      userId: order.userId,
      previousStatus,
      status: order.status,
      orderVersion: order.version,
    } satisfies events.OrderStatusChangedV2);
    return {
      aggregateId: order.id,
      eventType: payload.eventType,
      topic: this.orderEventsTopic,
      // Keyed by order: all changes of one order land on one partition, so they are read in
      // the order they happened (the relay publishes in outbox order).
      messageKey: order.id,
      payload,
      // The consumer's or operator's trace: subscribers' pushes join it through the relay.
      traceContext: currentTraceparent(),
    };
  }
}
