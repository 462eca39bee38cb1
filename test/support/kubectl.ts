/**
 * kubectl stands in for the API server's own code in several tests (`kustomize`, `patch --local`) and is the
 * reference reader of YAML for tests that check we mean what kubectl reads. Where it is missing (Debian packages
 * none recent enough), the suites that need it skip, saying why.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

let found: boolean | undefined;

/** Whether kubectl is on PATH (asked once). */
export function hasKubectl(): boolean {
  if (found === undefined) {
    try {
      execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
      found = true;
    } catch {
      found = false;
    }
  }
  return found;
}

/** In a `before` hook: skips the suite, with a message, when kubectl is not installed. */
export function skipWithoutKubectl(ctx: Mocha.Context, what: string): void {
  if (hasKubectl()) return;
  console.log(`    (skipping ${what}: kubectl is not installed)`);
  ctx.skip();
}

/**
 * The object kubectl reads from one YAML document, as JSON: `kubectl patch --local` with an empty JSON patch
 * decodes the file with kubectl's own reader and prints it back unchanged. Needs no cluster.
 */
export async function kubectlReads(yaml: string): Promise<any> {
  const dir = mkdtempSync(join(tmpdir(), 'mizzen-kubectl-'));
  try {
    const file = join(dir, 'object.yaml');
    writeFileSync(file, yaml);
    const { stdout } = await execFileP('kubectl', ['patch', '--local', '--type=json', '-p', '[]', '-f', file, '-o', 'json'], { maxBuffer: 64 << 20 });
    return JSON.parse(stdout);
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`kubectl patch --local failed: ${(err.stderr || err.message).trim()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
