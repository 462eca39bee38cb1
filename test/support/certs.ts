/** Shared certificate fixtures for tests: generated once per process (generation is the slow part). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateAll, writeCerts, type GeneratedCerts } from '../../src/certs/index.js';

let cached: Promise<GeneratedCerts> | undefined;

/** Webhook serving material (SANs of webhookNames()), its CA and a mesh CA; the same for the whole run. */
export function testCerts(): Promise<GeneratedCerts> {
  cached ??= generateAll();
  return cached;
}

/** A temporary directory; remove it with the returned cleanup. */
export function tempDir(prefix = 'mizzen-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A temporary certificates directory holding the shared test certificates. */
export async function testCertsDir(): Promise<{ dir: string; certs: GeneratedCerts; cleanup: () => void }> {
  const certs = await testCerts();
  const t = tempDir('mizzen-certs-');
  writeCerts(t.dir, certs);
  return { ...t, certs };
}
