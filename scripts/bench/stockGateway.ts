/**
 * Stock `@apollo/gateway` for `npm run bench:gateway`: the same package version the gateway
 * uses, in Apollo Server with default settings, serving the supergraph file it is given. The
 * only addition is forwarding the caller's Authorization header, without which the cart and
 * orders shapes could not be answered at all.
 *
 *   node --import tsx scripts/bench/stockGateway.ts <supergraph file> <port>
 */
import { readFileSync } from 'node:fs';
import {
  ApolloGateway,
  RemoteGraphQLDataSource,
  type GraphQLDataSourceProcessOptions,
} from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

interface Context {
  authorization?: string;
}

async function main(): Promise<void> {
  const [supergraphPath, port] = process.argv.slice(2);
  if (!supergraphPath || !port) throw new Error('usage: stockGateway.ts <supergraph> <port>');
  const gateway = new ApolloGateway({
    supergraphSdl: readFileSync(supergraphPath, 'utf8'),
    buildService: ({ url }) =>
      new (class extends RemoteGraphQLDataSource<Context> {
        override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<Context>) {
          if (context.authorization)
            request.http?.headers.set('authorization', context.authorization);
        }
      })({ url }),
  });
  const server = new ApolloServer<Context>({ gateway });
  const { url } = await startStandaloneServer(server, {
    listen: { port: Number(port), host: '127.0.0.1' },
    context: async ({ req }) => ({ authorization: req.headers.authorization }),
  });
  process.stdout.write(`stock @apollo/gateway ready at ${url}\n`);
  process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
