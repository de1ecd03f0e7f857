import { readFileSync } from 'node:fs';
import type { RequestHandler } from 'express';
import { Kind, parse, print, visit, type DocumentNode } from 'graphql';
import { z } from 'zod';
import { EdgeErrorCode } from '@shop/shared';
import { edgeMetrics } from './metrics';

/** Apollo's persisted query manifest (what @apollo/generate-persisted-query-manifest writes). */
const manifestSchema = z.object({
  format: z.literal('apollo-persisted-query-manifest'),
  version: z.literal(1),
  operations: z.array(
    z.object({
      id: z.string().min(1),
      name: z.string(),
      type: z.enum(['query', 'mutation', 'subscription']),
      body: z.string().min(1),
    }),
  ),
});

/**
 * The operations a safelisted gateway accepts, by id (the manifest's sha256 of the body, sent as
 * `extensions.persistedQuery.sha256Hash`, as Apollo Router takes it) and by shape. The shape is
 * the printed document without `__typename` selections, so the listed text is accepted however
 * it is formatted and whether or not the client adds the `__typename`s Apollo Client (and so
 * the manifest) carries; anything else needs a new manifest entry.
 *
 * Hand-written rather than @apollo/persisted-query-lists: that package serves Apollo Client
 * (it peers on @apollo/client and only maps names to ids), not a server deciding what to run.
 */
export class Safelist {
  private readonly bodies = new Map<string, string>();
  private readonly shapes = new Set<string>();

  constructor(operations: { id: string; body: string }[]) {
    for (const { id, body } of operations) {
      this.bodies.set(id, body);
      const shape = shapeOf(body);
      if (shape) this.shapes.add(shape);
    }
  }

  static fromFile(file: string): Safelist {
    const manifest = manifestSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    return new Safelist(manifest.operations);
  }

  get size(): number {
    return this.bodies.size;
  }

  bodyOf(id: string): string | undefined {
    return this.bodies.get(id);
  }

  allows(query: string): boolean {
    const shape = shapeOf(query);
    return shape !== undefined && this.shapes.has(shape);
  }
}

/** Undefined for text that does not parse: it cannot be a listed operation. */
function shapeOf(query: string): string | undefined {
  let document: DocumentNode;
  try {
    document = parse(query, { noLocation: true });
  } catch {
    return undefined;
  }
  const stripped = visit(document, {
    Field: (node) => (node.name.value === '__typename' && !node.alias ? null : undefined),
  });
  // Operations first, then fragments by name, as the manifest tool orders them.
  const definitions = [...stripped.definitions].sort(
    (a, b) => rank(a) - rank(b) || name(a).localeCompare(name(b)),
  );
  return print({ ...stripped, definitions });
}

const rank = (d: DocumentNode['definitions'][number]) =>
  d.kind === Kind.FRAGMENT_DEFINITION ? 1 : 0;
const name = (d: DocumentNode['definitions'][number]) =>
  'name' in d && d.name ? d.name.value : '';

interface GraphQLBody {
  query?: unknown;
  extensions?: { persistedQuery?: { sha256Hash?: unknown } } & Record<string, unknown>;
}

type Verdict = { ok: true; query?: string } | { ok: false; message: string };

/** What one operation of a request may run: its own listed text, or the listed body of its id. */
function judge(safelist: Safelist, body: GraphQLBody): Verdict {
  const hash = body.extensions?.persistedQuery?.sha256Hash;
  if (typeof body.query === 'string' && body.query.length > 0) {
    return safelist.allows(body.query)
      ? { ok: true, query: body.query }
      : {
          ok: false,
          message:
            'This gateway only runs the operations in its persisted query list (PERSISTED_QUERIES=safelist), and this one is not among them; add it to the documents persisted-query-manifest.config.json names and run `npm run persisted:manifest`.',
        };
  }
  if (typeof hash === 'string') {
    const listed = safelist.bodyOf(hash);
    return listed
      ? { ok: true, query: listed }
      : {
          ok: false,
          message: `Persisted query "${hash}" is not in this gateway's persisted query list.`,
        };
  }
  return { ok: true }; // no operation at all: Apollo Server answers BAD_REQUEST itself
}

/**
 * Safelist mode, in front of Apollo Server: a request whose operation is not listed is refused
 * with HTTP 400 PERSISTED_QUERY_NOT_IN_LIST before it is parsed or planned; an id-only request
 * becomes a request with the listed text, so Apollo Server needs no persisted query support.
 */
export function safelistMiddleware(safelist: Safelist): RequestHandler {
  const refuse = (res: Parameters<RequestHandler>[1], message: string) => {
    edgeMetrics.refused.inc({ code: EdgeErrorCode.PERSISTED_QUERY_NOT_IN_LIST });
    res.status(400).json({
      errors: [{ message, extensions: { code: EdgeErrorCode.PERSISTED_QUERY_NOT_IN_LIST } }],
    });
  };
  const admit = (body: GraphQLBody, query: string | undefined) => {
    if (query !== undefined) body.query = query;
    if (body.extensions?.persistedQuery) {
      const { persistedQuery: _listed, ...rest } = body.extensions;
      body.extensions = rest;
    }
  };

  return (req, res, next) => {
    if (req.method === 'GET') {
      const url = new URL(req.url, 'http://gateway.invalid');
      const body: GraphQLBody = {
        query: url.searchParams.get('query') ?? undefined,
        extensions: parseJson(url.searchParams.get('extensions')),
      };
      const verdict = judge(safelist, body);
      if (!verdict.ok) return refuse(res, verdict.message);
      admit(body, verdict.query);
      if (verdict.query !== undefined) url.searchParams.set('query', verdict.query);
      if (body.extensions) url.searchParams.set('extensions', JSON.stringify(body.extensions));
      req.url = `${url.pathname}${url.search}`;
      return next();
    }
    const bodies: GraphQLBody[] = Array.isArray(req.body)
      ? (req.body as GraphQLBody[])
      : req.body && typeof req.body === 'object'
        ? [req.body as GraphQLBody]
        : [];
    const verdicts = bodies.map((body) => judge(safelist, body));
    const refused = verdicts.find((v): v is Extract<Verdict, { ok: false }> => !v.ok);
    if (refused) return refuse(res, refused.message);
    bodies.forEach((body, i) => admit(body, (verdicts[i] as { query?: string }).query));
    return next();
  };
}

function parseJson(text: string | null): GraphQLBody['extensions'] {
  if (!text) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as GraphQLBody['extensions']) : undefined;
  } catch {
    return undefined;
  }
}
