/**
 * Starts OpenTelemetry tracing before anything it instruments is loaded. Every process is
 * started as `node --import tsx --import ./shared/src/telemetry/register.ts <entry>`
 * (scripts/start.sh, test/e2e/platform.ts): the instrumentations patch `require`, so they must
 * be installed before express, pg, kafkajs, @grpc/grpc-js... are first required.
 *
 * Configured only by the standard variables (the SDK reads them itself):
 * OTEL_SDK_DISABLED=true switches tracing off, OTEL_SERVICE_NAME names the process (default:
 * derived from the entry file), OTEL_EXPORTER_OTLP_ENDPOINT (default http://localhost:4318),
 * OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (default below), OTEL_TRACES_EXPORTER.
 */
// Loaded lazily so OTEL_SDK_DISABLED=true costs nothing at start-up (no SDK code is read).
if (process.env.OTEL_SDK_DISABLED !== 'true') {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('./sdk') as typeof import('./sdk')).startTelemetry();
  } catch (err) {
    // A bad OTEL_* value (sampler, exporter, instrumentation name): say which, exit as a
    // configuration error (EX_CONFIG, as every service's own settings do), no stack trace.
    process.stderr.write(
      `invalid tracing configuration: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    process.exit(78);
  }
}
