/**
 * The checkout database's outage classifier (docs/subgraph-skeleton.md, "Outage classification"):
 * true means PostgreSQL cannot be used right now. A saga step or recovery pass that stops on
 * such an error is not a bug: the session keeps its recorded state and lease, and recovery
 * drives it on once the database is back, so it is logged as a wait rather than an error. The
 * rules are shared with orders, the other service on PostgreSQL through Prisma
 * (@shop/shared postgresOutages.ts).
 */
import { isPostgresUnavailable } from '@shop/shared';

export function isStoreUnavailable(err: unknown): boolean {
  return isPostgresUnavailable(err);
}
