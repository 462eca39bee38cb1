/**
 * Certificate files on disk. The webhook files carry the names of a Kubernetes TLS Secret
 * (tls.crt, tls.key, ca.crt), so the same directory can be a mounted Secret; the CA and mesh CA keys sit beside them.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { type Result, ok, fail } from '../core/result.js';
import { generateMeshCa, generateWebhookCerts, type KeyPair } from './generate.js';

export const CertFiles = {
  /** Webhook serving certificate and key. */
  cert: 'tls.crt',
  key: 'tls.key',
  /** The CA that signed tls.crt: the caBundle of the webhook configurations. */
  ca: 'ca.crt',
  caKey: 'ca.key',
  /** The mesh CA (signs workload certificates). */
  meshCaCert: 'mesh-ca.crt',
  meshCaKey: 'mesh-ca.key',
} as const;

/** What the webhook server needs: its key pair and the CA bundle that verifies it. */
export interface ServingMaterial {
  cert: string;
  key: string;
  ca: string;
}

/** Reads tls.crt, tls.key and ca.crt (ca.crt optional: a Secret from cert-manager may lack it) and checks they load. */
export function readServingMaterial(dir: string): Result<ServingMaterial> {
  const errors: string[] = [];
  const read = (name: string, required: boolean): string => {
    const p = join(dir, name);
    try {
      return readFileSync(p, 'utf8');
    } catch (e) {
      if (required) errors.push(`${p}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : (e as Error).message}`);
      return '';
    }
  };
  const cert = read(CertFiles.cert, true);
  const key = read(CertFiles.key, true);
  const ca = read(CertFiles.ca, false);
  if (errors.length) return fail(...errors);
  try {
    createSecureContext({ cert, key });
  } catch (e) {
    return fail(`${join(dir, CertFiles.cert)}, ${join(dir, CertFiles.key)}: not a usable key pair: ${(e as Error).message}`);
  }
  return ok({ cert, key, ca });
}

/** Whether the webhook files are present (then they are used as they are). */
export function hasServingMaterial(dir: string): boolean {
  return existsSync(join(dir, CertFiles.cert)) && existsSync(join(dir, CertFiles.key));
}

function writeFile(path: string, data: string, secret: boolean): void {
  writeFileSync(path, data, { mode: secret ? 0o600 : 0o644 });
  if (secret) chmodSync(path, 0o600);
}

export interface GeneratedCerts {
  serving: ServingMaterial;
  caKey: string;
  meshCa: KeyPair;
}

/** Generates the webhook certificate, its CA and the mesh CA, in memory. */
export async function generateAll(names?: string[]): Promise<GeneratedCerts> {
  const [webhook, meshCa] = await Promise.all([generateWebhookCerts(names), generateMeshCa()]);
  return { serving: { cert: webhook.serving.cert, key: webhook.serving.key, ca: webhook.ca.cert }, caKey: webhook.ca.key, meshCa };
}

/** Writes generated certificates to `dir` (created when missing); returns the file paths written. */
export function writeCerts(dir: string, certs: GeneratedCerts): string[] {
  mkdirSync(dir, { recursive: true });
  const files: Array<[string, string, boolean]> = [
    [CertFiles.cert, certs.serving.cert, false],
    [CertFiles.key, certs.serving.key, true],
    [CertFiles.ca, certs.serving.ca, false],
    [CertFiles.caKey, certs.caKey, true],
    [CertFiles.meshCaCert, certs.meshCa.cert, false],
    [CertFiles.meshCaKey, certs.meshCa.key, true],
  ];
  return files.map(([name, data, secret]) => {
    const p = join(dir, name);
    writeFile(p, data, secret);
    return p;
  });
}
