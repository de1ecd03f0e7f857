import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { startGrpcServer } from '../../src/server';
import { dialAddress, type StubListenConfig } from './config';
import { startStubHttp, type StubHttp } from './httpEndpoints';

/** What a stub listens on: its gRPC service, and /health + /metrics when HTTP_PORT is set. */
export interface StubListeners {
  /** host:port a client on this machine dials. */
  address: string;
  port: number;
  httpUrl: string | undefined;
  /** Stops HTTP from reporting ready, lets in-flight gRPC calls finish, then closes both. */
  stop: () => Promise<void>;
}

export async function listenStub(options: {
  register: (server: grpc.Server) => void;
  config: Pick<StubListenConfig, 'host' | 'grpcPort' | 'httpPort'>;
  registry: Registry;
  logger: Logger;
}): Promise<StubListeners> {
  const { config } = options;
  const grpcServer = await startGrpcServer(options.register, `${config.host}:${config.grpcPort}`);
  let http: StubHttp | undefined;
  if (config.httpPort !== undefined) {
    try {
      http = await startStubHttp({
        host: config.host,
        port: config.httpPort,
        registry: options.registry,
        logger: options.logger,
      });
    } catch (err) {
      // A stub that cannot serve its health endpoint must not be left half started.
      await grpcServer.stop();
      throw err;
    }
  }
  return {
    address: dialAddress(config.host, grpcServer.port),
    port: grpcServer.port,
    httpUrl: http?.url,
    stop: async () => {
      http?.drain();
      await grpcServer.stop();
      await http?.stop();
    },
  };
}
