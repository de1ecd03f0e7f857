import * as grpc from '@grpc/grpc-js';

/** One product Reserve could not take: how many were asked for and how many there are. */
export interface Shortage {
  productId: string;
  requested: number;
  /** 0 for a product the warehouse does not stock. */
  available: number;
}

/**
 * Reserve fails with FAILED_PRECONDITION when stock is short; the trailer below names every
 * short product, so checkout can tell the shopper which item to change without parsing the
 * message. One ASCII JSON value, because gRPC text metadata must be printable ASCII.
 */
export const INSUFFICIENT_STOCK_TRAILER = 'insufficient-stock';

export function insufficientStockTrailer(shortages: readonly Shortage[]): string {
  return JSON.stringify(shortages).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * For clients of the inventory stub: the short products of a failed Reserve, or undefined when
 * the error is something else.
 */
export function readInsufficientStock(error: unknown): Shortage[] | undefined {
  if (!isServiceError(error) || error.code !== grpc.status.FAILED_PRECONDITION) return undefined;
  const [value] = error.metadata?.get(INSUFFICIENT_STOCK_TRAILER) ?? [];
  if (typeof value !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? (parsed as Shortage[]) : undefined;
  } catch {
    return undefined;
  }
}

function isServiceError(error: unknown): error is grpc.ServiceError {
  return error instanceof Error && typeof (error as Partial<grpc.ServiceError>).code === 'number';
}
