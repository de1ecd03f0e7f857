import path from 'node:path';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { MongoDBInstrumentation } from '@opentelemetry/instrumentation-mongodb';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';

/**
 * The default sampler, chosen from `npm run bench:tracing` (docs/observability.md): follow the
 * caller's decision, sample every new trace. Override with OTEL_TRACES_SAMPLER(_ARG).
 */
export const DEFAULT_SAMPLER = 'parentbased_always_on';

/** Paths nobody wants a trace of: probes and scrapes arrive every few seconds. */
const UNTRACED_PATHS = ['/health', '/metrics'];

/**
 * `subgraphs/cart/src/index.ts` → `cart`, `internal-grpc/src/payment/main.ts` → `payment`,
 * `gateway/src/index.ts` → `gateway`: the name each process has in scripts/start.sh.
 */
export function serviceNameFromEntry(entry: string | undefined): string {
  if (!entry) return 'unknown_service:node';
  const parts = path.resolve(entry).split(path.sep);
  const src = parts.lastIndexOf('src');
  if (src < 1) return path.basename(entry, path.extname(entry));
  const owner = parts[src - 1];
  // internal-grpc holds both stubs: the folder under src names the process.
  return owner === 'internal-grpc' ? (parts[src + 1] ?? owner) : (owner ?? 'unknown_service');
}

let sdk: NodeSDK | undefined;

export function startTelemetry(): void {
  if (sdk || process.env.OTEL_SDK_DISABLED === 'true') return;
  process.env.OTEL_SERVICE_NAME ||= serviceNameFromEntry(process.argv[1]);
  process.env.OTEL_TRACES_SAMPLER ||= DEFAULT_SAMPLER;
  // Metrics are prom-client's (/metrics) and logs go to stdout; the SDK exports traces only.
  process.env.OTEL_METRICS_EXPORTER ||= 'none';
  process.env.OTEL_LOGS_EXPORTER ||= 'none';
  sdk = new NodeSDK({
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) =>
          UNTRACED_PATHS.some((prefix) => req.url?.startsWith(prefix) ?? false),
      }),
      new ExpressInstrumentation(),
      // Resolver spans for every field would dwarf the rest; keep parse/validate/execute.
      new GraphQLInstrumentation({ ignoreTrivialResolveSpans: true, mergeItems: true, depth: 2 }),
      new GrpcInstrumentation(),
      new PgInstrumentation({ requireParentSpan: true }),
      new MongoDBInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
      new KafkaJsInstrumentation(),
      // trace_id / span_id / trace_flags on every pino line logged inside a span.
      new PinoInstrumentation(),
    ],
  });
  sdk.start();
  const shutdown = () => {
    void sdk?.shutdown().catch(() => undefined);
  };
  // The services' own SIGTERM handlers exit the process; flush spans before that.
  process.once('beforeExit', shutdown);
}

/** Flushes and stops the SDK; services call it in their graceful shutdown. */
export async function stopTelemetry(): Promise<void> {
  await sdk?.shutdown().catch(() => undefined);
  sdk = undefined;
}
