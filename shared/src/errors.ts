import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/** The error codes of docs/design-decisions.md ("The public contract"); clients switch on `extensions.code`, never on message text. */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  INSUFFICIENT_STOCK: 'INSUFFICIENT_STOCK',
  PAYMENT_DECLINED: 'PAYMENT_DECLINED',
  RATE_LIMITED: 'RATE_LIMITED',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export function appError(
  code: ErrorCode,
  message: string,
  extensions: Record<string, unknown> = {},
): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

export const unauthenticated = (
  message = 'Sign in: send a valid token as Authorization: Bearer <JWT>.',
) => appError(ErrorCode.UNAUTHENTICATED, message);
export const forbidden = (message: string) => appError(ErrorCode.FORBIDDEN, message);
export const badUserInput = (message: string, extensions?: Record<string, unknown>) =>
  appError(ErrorCode.BAD_USER_INPUT, message, extensions);
export const notFound = (message: string) => appError(ErrorCode.NOT_FOUND, message);
export const conflict = (message: string) => appError(ErrorCode.CONFLICT, message);
export const serviceUnavailable = (message: string) =>
  appError(ErrorCode.SERVICE_UNAVAILABLE, message);

/** The gateway's refusals, named as Apollo Router names them (docs/design-decisions.md, "The public contract"). */
export const EdgeErrorCode = {
  MAX_DEPTH_LIMIT: 'MAX_DEPTH_LIMIT',
  MAX_ALIASES_LIMIT: 'MAX_ALIASES_LIMIT',
  MAX_ROOT_FIELDS_LIMIT: 'MAX_ROOT_FIELDS_LIMIT',
  MAX_TOKENS_LIMIT: 'MAX_TOKENS_LIMIT',
  MAX_DIRECTIVES_LIMIT: 'MAX_DIRECTIVES_LIMIT',
  COST_ESTIMATED_TOO_EXPENSIVE: 'COST_ESTIMATED_TOO_EXPENSIVE',
  PERSISTED_QUERY_NOT_IN_LIST: 'PERSISTED_QUERY_NOT_IN_LIST',
  /** The overall request deadline (REQUEST_TIMEOUT_MS) passed; HTTP 504, as the Router answers. */
  GATEWAY_TIMEOUT: 'GATEWAY_TIMEOUT',
} as const;

const PUBLIC_CODES = new Set<string>([
  ...Object.values(ErrorCode),
  ...Object.values(EdgeErrorCode),
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * Apollo Server `formatError`: errors we raised on purpose pass through; anything else (a bug,
 * a driver exception) becomes a generic INTERNAL_SERVER_ERROR so no stack trace, SQL or host
 * name reaches a client. The original is handed to `log` first.
 */
export function createErrorFormatter(log: (err: unknown) => void) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && PUBLIC_CODES.has(code) && code !== 'INTERNAL_SERVER_ERROR') {
      const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    log(error);
    return {
      message: 'Something went wrong on our side; it has been logged. Try again shortly.',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}
