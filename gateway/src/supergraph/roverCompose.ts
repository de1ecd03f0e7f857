import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { SUPERGRAPH_HEADER } from './compose';

/**
 * `rover supergraph compose --config supergraph.yaml` through Apollo's `@apollo/rover` npm package.
 * rover composes with its ELv2 `supergraph-v<federation_version>` plugin, which it downloads on
 * first use from Apollo's site; these machines cannot reach it, and no registry ships it
 * (docs/schema-checks.md). `--skip-update` makes rover use an installed plugin or fail at once
 * instead of hanging on the download. Without the plugin this reports `skipped` with the reason,
 * and the same composition is checked through `@apollo/composition`, the library the plugin runs.
 */
export type RoverComposeResult =
  | { status: 'matches'; version: string }
  | { status: 'skipped'; reason: string }
  | { status: 'failed'; errors: string[] };

export const ROVER_VERSION = '0.41.0';

/**
 * rover installed into the cache folder (outside the repository) on first use, not as a
 * devDependency: its wrapper lists one optional binary package per platform, and the registry
 * these machines use serves only the Linux ones, so a lock file holding them all cannot be
 * written here and one missing them fails `npm ci`. A plain `npm install` skips the absent ones.
 * `root` is unused and kept so callers read the same as before.
 */
export function roverBinary(_root?: string): string {
  const cache = process.env.SHOP_CACHE_DIR ?? path.join(homedir(), '.cache', 'shop-supergraph');
  const dir = path.join(cache, `rover-${ROVER_VERSION}`);
  const bin = path.join(dir, 'node_modules', '.bin', 'rover');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), '{ "private": true }\n');
    execFileSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--loglevel=error', `@apollo/rover@${ROVER_VERSION}`],
      { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] },
    );
  }
  return bin;
}

/** rover's own sentence, e.g. "You do not have the 'supergraph-v2.14.4' plugin installed." */
function missingPluginSentence(stderr: string): string {
  const sentence = /You do not have [^\n]*? installed\./.exec(stderr)?.[0];
  return sentence ?? 'its composition plugin is not installed.';
}

export function roverCompose(root: string, committedSupergraph: string): RoverComposeResult {
  const rover = roverBinary(root);
  const env = { ...process.env, APOLLO_TELEMETRY_DISABLED: '1', RUST_BACKTRACE: '0' };
  const version = spawnSync(rover, ['--version'], { encoding: 'utf8', env });
  if (version.error || version.status !== 0) {
    return {
      status: 'failed',
      errors: [
        `rover does not run (${version.error?.message ?? version.stderr.trim()}); run npm run schema:check again to reinstall it.`,
      ],
    };
  }
  const run = spawnSync(
    rover,
    [
      'supergraph',
      'compose',
      '--config',
      'supergraph.yaml',
      '--elv2-license',
      'accept',
      '--skip-update',
    ],
    { cwd: root, encoding: 'utf8', env, timeout: 120_000 },
  );
  if (run.status !== 0 && /plugin installed/.test(run.stderr)) {
    return { status: 'skipped', reason: missingPluginSentence(run.stderr) };
  }
  if (run.status !== 0) {
    return { status: 'failed', errors: ['rover supergraph compose failed:', run.stderr.trim()] };
  }
  const expected = committedSupergraph.slice(SUPERGRAPH_HEADER.length).trim();
  if (run.stdout.trim() === expected) return { status: 'matches', version: version.stdout.trim() };
  return {
    status: 'failed',
    errors: [
      'rover supergraph compose produced a different supergraph than the committed ' +
        'supergraph.graphql: @apollo/composition and rover disagree. Check that ' +
        'federation_version in supergraph.yaml pins the installed @apollo/composition.',
    ],
  };
}
