/**
 * Test support for the stubs' own tests; production code never imports it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type * as grpc from '@grpc/grpc-js';

/** Promise form of one unary call: `unary(client.reserve.bind(client), request)`. */
export function unary<Req, Res>(
  call: (request: Req, callback: grpc.requestCallback<Res>) => unknown,
  request: Req,
): Promise<Res> {
  return new Promise((resolve, reject) =>
    call(request, (err, response) => (err || !response ? reject(err) : resolve(response))),
  );
}

/** The rejection of a call that must fail, as a gRPC ServiceError. */
export async function failure(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (err) {
    return err as grpc.ServiceError;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

export interface StubProcess {
  child: ChildProcess;
  /** Resolves with the first log line matching `msg`, parsed. */
  logLine: (msg: string) => Promise<Record<string, unknown>>;
  exit: Promise<{ code: number | null; stderr: string }>;
}

/** Runs a stub's main.ts as a real process, as scripts/start.sh would; logs at info for logLine. */
export function spawnStub(mainFile: string, env: Record<string, string>): StubProcess {
  const root = path.join(__dirname, '..', '..', '..');
  const child = spawn(process.execPath, [require.resolve('tsx/cli'), mainFile], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const wake of waiters.splice(0)) wake();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.once('exit', (code) => {
      for (const wake of waiters.splice(0)) wake();
      resolve({ code, stderr });
    }),
  );
  const logLine = async (msg: string): Promise<Record<string, unknown>> => {
    for (;;) {
      // The last piece may be a line still being written.
      for (const line of stdout.split('\n').slice(0, -1)) {
        if (!line.startsWith('{')) continue;
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (parsed.msg === msg) return parsed;
      }
      if (child.exitCode !== null) {
        throw new Error(`stub exited (${child.exitCode}) before logging "${msg}": ${stderr}`);
      }
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return { child, logLine, exit };
}
