import path from 'node:path';

/**
 * The checkout database's migrations (prisma/checkout/migrations), applied in order by the
 * shared runner at service start and by tests on their fresh databases.
 */
export const MIGRATIONS_DIR = path.join(__dirname, '../../../../prisma/checkout/migrations');
