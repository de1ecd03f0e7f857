// TypeScript's "node" resolution (what this CommonJS project compiles with) predates package
// "exports", so it cannot see `graphql-ws/use/ws`; point it at the file that subpath exports.
// Types only: at run time Node and Jest resolve the subpath through "exports" themselves.
declare module 'graphql-ws/use/ws' {
  export * from 'graphql-ws/dist/use/ws';
}
