import { DependencyUnavailableError } from '@shop/internal-grpc';
import { createLogger } from '@shop/shared';
import { createAvailabilityLoader, type AvailabilitySource } from './context';

const logger = createLogger('product-test', 'silent');

describe('availability loader', () => {
  test('a page of products costs one inventory call; unstocked products read 0', async () => {
    const calls: string[][] = [];
    const client: AvailabilitySource = {
      availability: async (ids) => {
        calls.push([...ids]);
        return new Map([
          ['1', 5],
          ['2', 0],
        ]);
      },
    };
    const loader = createAvailabilityLoader(client, logger);
    const answers = await Promise.all(['1', '2', '3', '1'].map((id) => loader.load(id)));
    expect(answers).toEqual([5, 0, 0, 5]);
    expect(calls).toEqual([['1', '2', '3']]);
  });

  test('a failed call fails every product of the batch alike', async () => {
    const loader = createAvailabilityLoader(
      {
        availability: async () => {
          throw new Error('inventory down');
        },
      },
      logger,
    );
    await expect(Promise.all([loader.load('1'), loader.load('2')])).rejects.toThrow(
      'inventory down',
    );
  });

  test('inventory unreachable is SERVICE_UNAVAILABLE naming inventory', async () => {
    const loader = createAvailabilityLoader(
      {
        availability: async () => {
          throw new DependencyUnavailableError('inventory', 'GetAvailability', false, undefined);
        },
      },
      logger,
    );
    await expect(loader.load('1')).rejects.toMatchObject({
      message: expect.stringContaining('inventory'),
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    });
  });
});
