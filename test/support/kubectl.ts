/**
 * kubectl stands in for the API server's own code in several tests (`kustomize`, `patch --local`). Where it
 * is missing (Debian packages none recent enough), the suites that need it skip, saying why.
 */
import { execFileSync } from 'node:child_process';

let present: boolean | undefined;

export function hasKubectl(): boolean {
  if (present === undefined) {
    try {
      execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
      present = true;
    } catch {
      present = false;
    }
  }
  return present;
}

/** In a `before` hook: skips the suite, with a message, when kubectl is not installed. */
export function skipWithoutKubectl(ctx: Mocha.Context, what: string): void {
  if (hasKubectl()) return;
  console.log(`    (skipping ${what}: kubectl is not installed)`);
  ctx.skip();
}
