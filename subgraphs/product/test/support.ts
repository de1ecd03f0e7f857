import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { TEST_JWT_SECRET } from '@shop/shared/src/testing';
import { loadProductConfig } from '../src/config';
import { createProductService, type ProductService } from '../src/service';

export const silentLogger = pino({ level: 'silent' });

/** A SQLite file of its own in os.tmpdir (in a folder that does not exist yet). */
export function tempDatabase(): { url: string; file: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'product-test-'));
  const file = path.join(dir, 'nested', 'product.db');
  return { url: `file:${file}`, file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The whole service on random ports, exactly as other subgraphs' tests start it. */
export function startProductService(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<ProductService> {
  return createProductService(
    loadProductConfig({
      PORT: '0',
      GRPC_PORT: '0',
      PRODUCT_DATABASE_URL: databaseUrl,
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'silent',
      ...env,
    }),
  );
}
