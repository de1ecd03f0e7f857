import type DataLoader from 'dataloader';
import type { BaseContext } from '@shop/shared';
import type { SessionRecord } from '../data/sessionStore';
import type { CheckoutCommand } from '../saga/checkoutCommand';

/** The one context every checkout resolver gets. */
export interface Context extends BaseContext {
  checkout: CheckoutCommand;
  /** Per request: every session the request looks up by id, in one query. */
  sessionsById: DataLoader<string, SessionRecord | null>;
}
