import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';

/**
 * The active span's W3C `traceparent`, or null outside a sampled trace (or with the SDK off).
 * Stored in an outbox row so whoever publishes the row later continues this trace.
 */
export function currentTraceparent(): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? null;
}

/** The context a stored `traceparent` describes (the root context for null or garbage). */
export function contextFromTraceparent(traceparent: string | null | undefined): Context {
  if (!traceparent) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, { traceparent });
}

const tracer = trace.getTracer('@shop/shared');

/**
 * A PRODUCER span for one outbox row, parented on the trace that wrote the row, and the message
 * headers that carry it to the consumer. Hand-written because the kafkajs instrumentation parents
 * its send spans on the *active* context, which in the relay's loop belongs to no checkout.
 */
export function startPublishSpan(
  topic: string,
  traceparent: string | null | undefined,
  attributes: Record<string, string>,
): { span: Span; headers: Record<string, string> } {
  const parent = contextFromTraceparent(traceparent);
  const span = tracer.startSpan(
    `publish ${topic}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'send',
        'messaging.destination.name': topic,
        ...attributes,
      },
    },
    parent,
  );
  const headers: Record<string, string> = {};
  propagation.inject(trace.setSpan(parent, span), headers);
  return { span, headers };
}

/**
 * Runs `fn` with tracing suppressed, so the kafkajs instrumentation neither starts its own send
 * spans nor overwrites the `traceparent` headers set by startPublishSpan.
 */
export function withoutInstrumentation<T>(fn: () => T): T {
  return context.with(suppressTracing(context.active()), fn);
}
