import { spawn } from 'node:child_process';
import path from 'node:path';

function runFixture(mode: 'ok' | 'hang') {
  const child = spawn(
    process.execPath,
    [require.resolve('tsx/cli'), path.join(__dirname, '../test-fixtures/shutdownFixture.ts'), mode],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  const ready = new Promise<void>((resolve) =>
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready')) resolve();
    }),
  );
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, ready, exited, output: () => out };
}

describe('graceful shutdown', () => {
  test('SIGTERM runs the steps in order and exits 0', async () => {
    const proc = runFixture('ok');
    await proc.ready;
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(proc.output().match(/step:\w+/g)).toEqual(['step:stop', 'step:drain', 'step:close']);
  });

  test('a step that hangs cannot keep the process alive past the deadline', async () => {
    const proc = runFixture('hang');
    await proc.ready;
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(1);
    expect(proc.output()).not.toContain('step:close');
  });
});
