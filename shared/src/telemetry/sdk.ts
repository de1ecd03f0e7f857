import path from 'node:path';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations, type Instrumentation } from '@opentelemetry/instrumentation';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { MongoDBInstrumentation } from '@opentelemetry/instrumentation-mongodb';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';

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

/** The sampler OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG name (the spec's values). */
export function samplerFromEnv(
  name = process.env.OTEL_TRACES_SAMPLER || DEFAULT_SAMPLER,
  arg = process.env.OTEL_TRACES_SAMPLER_ARG,
): Sampler {
  const ratio = arg !== undefined && arg !== '' && Number.isFinite(Number(arg)) ? Number(arg) : 1;
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    default:
      throw new Error(
        `OTEL_TRACES_SAMPLER=${name} is not one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio`,
      );
  }
}

function exporterFromEnv(): SpanExporter | undefined {
  const exporter = process.env.OTEL_TRACES_EXPORTER || 'otlp';
  if (exporter === 'none') return undefined;
  if (exporter === 'console') return new ConsoleSpanExporter();
  if (exporter !== 'otlp')
    throw new Error(`OTEL_TRACES_EXPORTER=${exporter}: use otlp, console or none`);
  // http/protobuf to OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/traces), read by the exporter itself.
  return new OTLPTraceExporter();
}

/** OTEL_BSP_SCHEDULE_DELAY: how long spans wait to be exported in a batch (default 5 s). */
function scheduleDelayFromEnv(): number {
  const ms = Number(process.env.OTEL_BSP_SCHEDULE_DELAY);
  return Number.isFinite(ms) && ms > 0 ? ms : 5000;
}

/** Every instrumentation this project loads, by the name OTEL_NODE_DISABLED_INSTRUMENTATIONS uses. */
function allInstrumentations(): Record<string, () => Instrumentation> {
  return {
    http: () =>
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) =>
          UNTRACED_PATHS.some((prefix) => req.url?.startsWith(prefix) ?? false),
      }),
    // No express instrumentation: its span per middleware layer cost more than it showed;
    // httpRoute() (./httpRoute.ts) names the server span after the route instead.
    // Node's fetch (undici) is how the gateway calls subgraphs; the http instrumentation does
    // not see it, so this one adds traceparent to those requests.
    undici: () => new UndiciInstrumentation(),
    // Resolver spans for every field would dwarf the rest; keep parse/validate/execute.
    graphql: () =>
      new GraphQLInstrumentation({ ignoreTrivialResolveSpans: true, mergeItems: true, depth: 2 }),
    grpc: () => new GrpcInstrumentation(),
    pg: () => new PgInstrumentation({ requireParentSpan: true }),
    mongodb: () => new MongoDBInstrumentation({ requireParentSpan: true }),
    ioredis: () => new IORedisInstrumentation({ requireParentSpan: true }),
    kafkajs: () => new KafkaJsInstrumentation(),
    // trace_id / span_id / trace_flags on every pino line logged inside a span.
    pino: () => new PinoInstrumentation(),
  };
}

/**
 * What a process leaves out whatever the environment says. The gateway's operations are traced
 * by @apollo/gateway itself (gateway.request, validate, plan, execute, fetch, postprocessing);
 * graphql-js instrumentation there only added two `graphql.parse` spans per request, about
 * 0.4 ms of CPU per request in bench:gateway (docs/performance.md, profile 6).
 */
const LEFT_OUT: Record<string, string[]> = { gateway: ['graphql'] };

/**
 * The names of the instrumentations `process` (its entry's owner, serviceNameFromEntry) loads:
 * all of them less LEFT_OUT and the comma-separated OTEL_NODE_DISABLED_INSTRUMENTATIONS (the
 * variable @opentelemetry/auto-instrumentations-node reads). A name it does not know is refused,
 * so a typo does not leave an instrumentation on.
 */
export function instrumentationNames(
  process_: string,
  disabled = process.env.OTEL_NODE_DISABLED_INSTRUMENTATIONS ?? '',
): string[] {
  const known = Object.keys(allInstrumentations());
  const off = disabled
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = off.filter((name) => !known.includes(name));
  if (unknown.length > 0)
    throw new Error(
      `OTEL_NODE_DISABLED_INSTRUMENTATIONS names ${unknown.join(', ')}; known: ${known.join(', ')}`,
    );
  const leftOut = [...off, ...(LEFT_OUT[process_] ?? [])];
  return known.filter((name) => !leftOut.includes(name));
}

let provider: TracerProvider | undefined;

/**
 * The trace SDK wired by hand rather than with @opentelemetry/sdk-node's NodeSDK: NodeSDK loads
 * every exporter it could configure (gRPC, logs, metrics, Zipkin, Prometheus), about 2 s of CPU
 * per process at start. On a loaded two-core machine that pushed service start-up past the
 * e2e tests' readiness timeout; this loads only what traces need (about 0.4 s).
 */
export function startTelemetry(): void {
  if (provider || process.env.OTEL_SDK_DISABLED === 'true') return;
  const serviceName = process.env.OTEL_SERVICE_NAME || serviceNameFromEntry(process.argv[1]);
  const exporter = exporterFromEnv();
  provider = new TracerProvider({
    sampler: samplerFromEnv(),
    resource: defaultResource().merge(resourceFromAttributes({ 'service.name': serviceName })),
    spanProcessors: exporter
      ? [new BatchSpanProcessor({ exporter, scheduledDelayMillis: scheduleDelayFromEnv() })]
      : [],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  );
  trace.setGlobalTracerProvider(provider);
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: instrumentationNames(serviceNameFromEntry(process.argv[1])).map((name) =>
      allInstrumentations()[name]!(),
    ),
  });
  // Spans still queued when a service exits after its graceful shutdown are flushed first.
  process.once('beforeExit', () => void stopTelemetry());
}

/** Flushes and stops tracing; safe to call when it never started. */
export async function stopTelemetry(): Promise<void> {
  const current = provider;
  provider = undefined;
  await current?.shutdown().catch(() => undefined);
}
