import { z } from 'zod';

/**
 * Every process reads its settings once, at start, through a zod schema. A missing or malformed
 * variable stops the process with a message naming the variable and what was expected, instead
 * of a late `undefined` deep inside a request.
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig<S extends z.ZodRawShape>(
  shape: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<S>> {
  const result = z.object(shape).safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.');
    const raw = env[name];
    const shown =
      raw === undefined
        ? 'it is not set'
        : /SECRET|PASSWORD|TOKEN|KEY/i.test(name)
          ? 'value hidden'
          : `got ${JSON.stringify(raw.replace(/\/\/[^/@\s]*@/, '//***@'))}`;
    return `${name}: ${issue.message} (${shown})`;
  });
  throw new ConfigError(problems);
}

/** Runs `load`, and on a ConfigError prints the problems and exits with status 78 (EX_CONFIG). */
export function loadConfigOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
}

/** The documented local default (docs/design-decisions.md); fine on a laptop, refused in production. */
/**
 * Refuses a crash switch (a variable that makes the process SIGKILL itself at a named step, for
 * the crash tests) unless NODE_ENV=test: a production process that could be told to kill itself
 * mid-payment or mid-refund is a loaded gun.
 */
export function refuseCrashSwitchOutsideTests(
  variable: string,
  value: string | undefined,
  nodeEnv: string | undefined,
): void {
  if (value === undefined || nodeEnv === 'test') return;
  throw new ConfigError([
    `${variable}: is a test-only crash switch, refused unless NODE_ENV=test (got NODE_ENV=${JSON.stringify(nodeEnv ?? null)})`,
  ]);
}

export const LOCAL_JWT_SECRET = 'local-dev-secret-change-me-0123456789';

/** Reusable variable types, so every service spells the same kind of value the same way. */
export const env = {
  /**
   * A port to listen on; 0 lets the OS pick a free one, which is how tests start services side
   * by side. Digits only, so an empty or mistyped value is an error rather than z.coerce's 0.
   */
  port: (fallback: number) =>
    z
      .string()
      .regex(/^\d{1,5}$/, 'expected a port number from 0 to 65535 (0 = any free port)')
      .default(String(fallback))
      .transform(Number)
      .pipe(z.number().max(65535, 'expected a port number from 0 to 65535 (0 = any free port)')),
  /** host:port, as gRPC clients and Kafka take it. */
  hostPort: (fallback: string) =>
    z
      .string()
      .regex(/^[\w.-]+:\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:50051')
      .default(fallback),
  url: (fallback: string, protocols: string[]) =>
    z
      .string()
      .url()
      .refine((v) => protocols.some((p) => v.startsWith(`${p}:`)), {
        message: `expected a ${protocols.join(' or ')} URL`,
      })
      .default(fallback),
  /** A PostgreSQL URL; the default is the local server's database of that name. */
  postgresUrl: (database: string) =>
    env.url(`postgres://postgres:postgres@127.0.0.1:5432/${database}`, ['postgres', 'postgresql']),
  brokers: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .transform((v) => v.split(',').map((b) => b.trim()))
      .pipe(
        z.array(z.string().regex(/^[\w.-]+:\d{1,5}$/, 'expected comma-separated host:port')).min(1),
      ),
  milliseconds: (fallback: number) => z.coerce.number().int().min(0).default(fallback),
  boolean: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1'),
  logLevel: () =>
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * HS256 needs enough key material to be worth verifying; 32 bytes is the RFC 7518 minimum.
   * The documented local default is refused under NODE_ENV=production, where anyone who has
   * read this file could otherwise mint tokens.
   */
  jwtSecret: () =>
    z
      .string()
      .min(32, 'must be at least 32 characters')
      .default(LOCAL_JWT_SECRET)
      .refine((v) => !(process.env.NODE_ENV === 'production' && v === LOCAL_JWT_SECRET), {
        message: 'is the public local default; set a secret of your own in production',
      }),
};

const optionalText = z.string().min(1).optional();
/** An http(s) URL (zod's `url()` also takes `javascript:`); `example` goes into the message. */
export function httpUrl(example: string) {
  return z.string().refine(
    (v) => {
      try {
        return ['http:', 'https:'].includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `expected an http(s) URL such as ${example}` },
  );
}

const jwksUrl = httpUrl('https://idp.example.com/.well-known/jwks.json').optional();

/**
 * How tokens are checked, read by the gateway and every subgraph from the same variables, so one
 * setting (issuer, audience, JWKS) is enforced at the edge and again in each service.
 */
export const jwtEnvShape = {
  JWT_SECRET: env.jwtSecret(),
  /** RS256 tokens verified against this JWKS endpoint instead of JWT_SECRET (production). */
  JWT_JWKS_URL: jwksUrl,
  /** The old name subgraphs read; still accepted, with a deprecation warning. */
  JWKS_URL: jwksUrl,
  /** When set, a token's `iss` must equal it. */
  JWT_ISSUER: optionalText,
  /** When set, a token's `aud` must contain it. */
  JWT_AUDIENCE: optionalText,
};

type JwtEnv = z.infer<z.ZodObject<typeof jwtEnvShape>>;

/**
 * The shared createTokenVerifier options from jwtEnvShape's variables. `JWKS_URL` is the name the
 * subgraphs used to read; it still works so a deployment is not broken by an upgrade, but says
 * it is deprecated (once per process) and loses to `JWT_JWKS_URL` when both are set.
 */
export function jwtOptions(c: JwtEnv, warn: (message: string) => void = deprecationWarning) {
  if (c.JWKS_URL !== undefined) {
    warn(
      c.JWT_JWKS_URL === undefined
        ? 'JWKS_URL is deprecated: rename it to JWT_JWKS_URL (the same variable everywhere).'
        : 'JWKS_URL is deprecated and ignored because JWT_JWKS_URL is set; remove it.',
    );
  }
  return {
    secret: c.JWT_SECRET,
    jwksUrl: c.JWT_JWKS_URL ?? c.JWKS_URL,
    issuer: c.JWT_ISSUER,
    audience: c.JWT_AUDIENCE,
  };
}

let warnedJwksUrl = false;
function deprecationWarning(message: string): void {
  if (warnedJwksUrl) return;
  warnedJwksUrl = true;
  process.emitWarning(message, { type: 'DeprecationWarning', code: 'SHOP_JWKS_URL' });
}

/**
 * What every GraphQL server process (each subgraph, and the gateway with port 4000) reads for its
 * HTTP server and token checks, spread into its own shape so the variables mean the same thing
 * in each service.
 */
export function subgraphServerEnv(defaultPort: number) {
  return {
    /** 0 binds a random free port (tests). */
    PORT: env.port(defaultPort),
    /** Interface to bind: loopback locally, 0.0.0.0 in a container (docker-compose sets it). */
    HOST: z.string().min(1).default('127.0.0.1'),
    LOG_LEVEL: env.logLevel(),
    ...jwtEnvShape,
  };
}

/** The settings `subgraphServerEnv` reads, as every subgraph's config and the gateway's name them. */
export interface SubgraphServerConfig {
  /** 0 binds a random free port (tests). */
  port: number;
  host: string;
  logLevel: z.infer<ReturnType<typeof env.logLevel>>;
  /** Token checks: the same JWT_* variables as the gateway (jwtEnvShape). */
  jwt: ReturnType<typeof jwtOptions>;
}

/** Maps the parsed `subgraphServerEnv` variables onto their camelCase names. */
export function subgraphServerConfig(
  c: z.infer<z.ZodObject<ReturnType<typeof subgraphServerEnv>>>,
): SubgraphServerConfig {
  return {
    port: c.PORT,
    host: c.HOST,
    logLevel: c.LOG_LEVEL,
    jwt: jwtOptions(c),
  };
}
