/**
 * docker-compose.yml is the production profile for one host, and no Docker engine runs where the
 * tests do, so its safety promises are checked here from the file itself: no default secret, only
 * GraphQL published to the network, operator views on loopback, and Prometheus scraping the
 * ports the services really serve /metrics on under NODE_ENV=production.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const ROOT = path.join(__dirname, '../..');

interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  expose?: string[];
}
const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), {
  merge: true,
}) as { services: Record<string, ComposeService> };
const services = compose.services;

/** The services built from this repository's image (the platform, not the infrastructure). */
const appServices = Object.entries(services).filter(
  ([, s]) => s.image === 'shop-supergraph-app:local',
);

const scrapeTargets: string[] = (
  parse(
    readFileSync(path.join(ROOT, 'observability/prometheus/prometheus.compose.yml'), 'utf8'),
  ) as { scrape_configs: { static_configs?: { targets: string[] }[] }[] }
).scrape_configs.flatMap((c) => (c.static_configs ?? []).flatMap((s) => s.targets));

describe('docker-compose production profile', () => {
  it('runs the seven platform processes from the production image', () => {
    expect(appServices.map(([name]) => name).sort()).toEqual(
      ['cart', 'checkout', 'gateway', 'inventory', 'orders', 'payment', 'product'].sort(),
    );
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^ENV NODE_ENV=production/m);
  });

  it('refuses to start without a JWT secret: no default is ever filled in', () => {
    for (const [name, s] of appServices) {
      expect({ name, secret: s.environment?.JWT_SECRET }).toEqual({
        name,
        secret: expect.stringMatching(/^\$\{JWT_SECRET:\?.+\}$/),
      });
    }
  });

  it('publishes only GraphQL to the network; every other published port is loopback only', () => {
    const published = Object.entries(services).flatMap(([name, s]) =>
      (s.ports ?? []).map((p) => ({ name, port: p })),
    );
    const open = published.filter(({ port }) => !port.startsWith('127.0.0.1:'));
    expect(open).toEqual([{ name: 'gateway', port: '4000:4000' }]);
    // the gateway's operator port (/metrics, /health/subgraphs) stays inside the compose network
    expect(services.gateway?.expose).toEqual(['9400']);
  });

  it('has Prometheus scrape where each service serves /metrics in production', () => {
    const expected = [
      'gateway:9400', // INTERNAL_PORT under NODE_ENV=production, not the public 4000
      'product:4001',
      'cart:4002',
      'checkout:4003',
      'orders:4004',
      `inventory:${services.inventory?.environment?.HTTP_PORT}`,
      `payment:${services.payment?.environment?.HTTP_PORT}`,
    ];
    expect(scrapeTargets.sort()).toEqual(expected.sort());
  });
});
