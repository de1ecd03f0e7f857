import type { Viewer } from '@shop/shared';

/** The scope that lets staff read any order and change order statuses. */
export const ADMIN_SCOPE = 'admin';

/**
 * Who may see an order: its owner (the JWT subject that checked out), and staff with the admin
 * scope, who must be able to look at an order they are about to move along. Nobody else, and
 * callers make "not yours" look exactly like "does not exist" so ids reveal nothing.
 */
export function canReadOrder(
  viewer: Pick<Viewer, 'userId' | 'scopes'>,
  order: { userId: string },
): boolean {
  return order.userId === viewer.userId || viewer.scopes.has(ADMIN_SCOPE);
}
