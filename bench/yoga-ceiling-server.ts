// Not our server: graphql-yoga alone, as a Node request listener, answering a
// one-field query with no database, no plugins and no limits. What it costs per
// request is the least any Yoga-served GraphQL read can cost on this machine;
// bench/token-read.ts reports it next to the floor (see the README).
import http from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';

const port = Number(process.argv[2]);
const yoga = createYoga({
  schema: createSchema({ typeDefs: 'type Query { token(id: String!): String! }', resolvers: { Query: { token: (_: unknown, args: { id: string }) => `token-${args.id}` } } }),
  logging: false,
  maxRequestBodySize: false,
  landingPage: false,
});
http.createServer(yoga).listen(port, () => console.log('yoga ceiling listening on', port));
process.on('SIGTERM', () => process.exit(0));
