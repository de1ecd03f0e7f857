// A process that installs the shared shutdown sequence; shutdown.test.ts signals it.
import pino from 'pino';
import { installShutdown } from '../src/shutdown';

const hang = process.argv[2] === 'hang';
const logger = pino({ level: 'silent' });
installShutdown(
  logger,
  [
    { name: 'stop taking work', close: () => console.log('step:stop') },
    {
      name: 'finish in-flight',
      close: () =>
        new Promise((r) => setTimeout(r, hang ? 60_000 : 100)).then(() =>
          console.log('step:drain'),
        ),
    },
    { name: 'close connections', close: () => console.log('step:close') },
  ],
  { timeoutMs: hang ? 1000 : 10_000 },
);
setInterval(() => undefined, 1000);
console.log('ready');
