import type { AvailabilityClient } from '@shop/internal-grpc';
import { createAvailabilityLoader } from './productLoader';

describe('availability loader', () => {
  test('a page of products costs one inventory call; unstocked products read 0', async () => {
    const calls: string[][] = [];
    const client: AvailabilityClient = {
      availability: async (ids) => {
        calls.push([...ids]);
        return new Map([
          ['1', 5],
          ['2', 0],
        ]);
      },
      close: () => undefined,
    };
    const loader = createAvailabilityLoader(client);
    const answers = await Promise.all(['1', '2', '3', '1'].map((id) => loader.load(id)));
    expect(answers).toEqual([5, 0, 0, 5]);
    expect(calls).toEqual([['1', '2', '3']]);
  });

  test('a failed call fails every product of the batch alike', async () => {
    const loader = createAvailabilityLoader({
      availability: async () => {
        throw new Error('inventory down');
      },
      close: () => undefined,
    });
    await expect(Promise.all([loader.load('1'), loader.load('2')])).rejects.toThrow(
      'inventory down',
    );
  });
});
