import path from 'node:path';

/**
 * The orders database's migrations (prisma/orders/migrations), applied in order by the shared
 * runner at service start and by tests on their fresh databases.
 */
export const MIGRATIONS_DIR = path.join(__dirname, '../../../../prisma/orders/migrations');
