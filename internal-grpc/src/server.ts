import * as grpc from '@grpc/grpc-js';
import { rpcServerMetrics } from './serverMetrics';

/** Binds a gRPC server on loopback (or `host`) without TLS; internal traffic only. */
export async function startGrpcServer(
  register: (server: grpc.Server) => void,
  address: string,
): Promise<{ server: grpc.Server; port: number; stop: () => Promise<void> }> {
  const server = new grpc.Server({ interceptors: [rpcServerMetrics] });
  register(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  return {
    server,
    port,
    // tryShutdown lets in-flight calls finish; forceShutdown after 5 s so SIGTERM stays bounded.
    stop: () =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.forceShutdown(), 5000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}

/** A gRPC error with a status code, for handlers to pass to their callback. */
export function grpcError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(details), {
    code,
    details,
    metadata: new grpc.Metadata(),
  }) as grpc.ServiceError;
}

export function deadline(ms: number): grpc.Deadline {
  return new Date(Date.now() + ms);
}
