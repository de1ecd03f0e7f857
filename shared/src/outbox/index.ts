import path from 'node:path';

export * from './relay';

/** Path of the outbox DDL that owning services include in their migrations. */
export const OUTBOX_SQL_PATH = path.join(__dirname, 'outbox.sql');
