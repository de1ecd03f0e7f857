import path from 'node:path';

/**
 * The product database's migrations (prisma/product/migrations), applied in order by the shared
 * runner at service start and by tests on their fresh databases.
 */
export const MIGRATIONS_DIR = path.join(__dirname, '../../../../prisma/product/migrations');
