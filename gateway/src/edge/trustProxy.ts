/**
 * TRUSTED_PROXIES → express's `trust proxy` value: a hop count ("1"), or a comma-separated
 * list of addresses, subnets or express's names (loopback, linklocal, uniquelocal). Unset means
 * trust nobody, so X-Forwarded-For sent by a client is ignored and cannot pick its own budget.
 */
export function trustProxySetting(value: string | undefined): boolean | number | string[] {
  if (!value) return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}
