import { execFileSync } from 'node:child_process';

/**
 * Which revision the breaking-change check compares the current supergraph with. Clients use
 * what was released, so the base is the merge base with the last released state, tried in this
 * order (docs/schema-checks.md explains each):
 *
 * 1. `SCHEMA_CHECK_BASE_REF`, when set (e.g. a pull-request job naming its target branch);
 * 2. the newest release tag `v*` (by version order);
 * 3. the branch's upstream, `@{upstream}`;
 * 4. `origin/main`.
 *
 * A candidate whose merge base with HEAD is HEAD itself says nothing (HEAD is that release or
 * that upstream, as on CI's fresh clone of main), so the next one is tried; when none is left,
 * HEAD's parent is the base, so a commit pushed to main is still judged by what it adds.
 */
export type BaseRevision =
  { found: true; sha: string; label: string } | { found: false; reason: string };

export type Git = (args: string[]) => string | undefined;

/** Runs git in `cwd`; undefined when the command fails (no such ref, not a repository…). */
export function gitIn(cwd: string): Git {
  return (args) => {
    try {
      return execFileSync('git', args, {
        cwd,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    } catch {
      return undefined;
    }
  };
}

export function resolveBaseRevision(git: Git, explicitRef?: string): BaseRevision {
  const head = git(['rev-parse', '--verify', 'HEAD^{commit}']);
  if (!head) return { found: false, reason: 'this is not a git checkout with a commit' };
  if (explicitRef) {
    const base = git(['merge-base', 'HEAD', explicitRef]);
    if (!base) {
      return {
        found: false,
        reason: `SCHEMA_CHECK_BASE_REF=${explicitRef} has no merge base with HEAD (missing ref or shallow clone)`,
      };
    }
    return { found: true, sha: base, label: `the merge base with ${explicitRef}` };
  }
  const newestTag = git(['tag', '--list', 'v*', '--sort=-v:refname'])?.split('\n')[0];
  const candidates = [
    ...(newestTag ? [{ ref: `refs/tags/${newestTag}`, name: `release tag ${newestTag}` }] : []),
    { ref: '@{upstream}', name: 'the upstream branch' },
    { ref: 'refs/remotes/origin/main', name: 'origin/main' },
  ];
  for (const { ref, name } of candidates) {
    const base = git(['merge-base', 'HEAD', ref]);
    if (base && base !== head)
      return { found: true, sha: base, label: `the merge base with ${name}` };
  }
  const parent = git(['rev-parse', '--verify', 'HEAD~1^{commit}']);
  if (parent) return { found: true, sha: parent, label: 'HEAD~1, the previous commit' };
  const shallow = git(['rev-parse', '--is-shallow-repository']) === 'true';
  return {
    found: false,
    reason: shallow
      ? 'the clone is shallow'
      : 'HEAD is the first commit and no release tag or upstream branch is behind it',
  };
}
