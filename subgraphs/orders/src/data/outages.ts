/**
 * The orders database's outage classifier (docs/subgraph-skeleton.md, "Outage classification"):
 * true means PostgreSQL cannot be used right now, so the checkout-events consumer retries the
 * event until it is back instead of dead-lettering it; false means the database refused this
 * data, which retrying will not change. The rules are shared with checkout, the other service on
 * PostgreSQL through Prisma (@shop/shared postgresOutages.ts).
 */
import { isPostgresUnavailable } from '@shop/shared';

export function isStoreUnavailable(err: unknown): boolean {
  return isPostgresUnavailable(err);
}
