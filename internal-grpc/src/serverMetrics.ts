import * as grpc from '@grpc/grpc-js';
import { rpcServerDuration } from '@shop/shared';

/**
 * `rpc_server_duration_seconds` for every call a server answers, by service, method and the
 * status it sent: one interceptor on the server instead of a timer in each handler.
 */
export const rpcServerMetrics: grpc.ServerInterceptor = (method, call) => {
  // path = "/<package>.<Service>/<Method>"
  const [, service = 'unknown', name = 'unknown'] = method.path.split('/');
  const timer = rpcServerDuration.startTimer({ rpc_service: service, rpc_method: name });
  return new grpc.ServerInterceptingCall(
    call,
    new grpc.ResponderBuilder()
      .withSendStatus((status, next) => {
        timer({ rpc_grpc_status_code: grpc.status[status.code] ?? String(status.code) });
        next(status);
      })
      .build(),
  );
};
