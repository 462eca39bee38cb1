/**
 * Certificate files on disk. The webhook files carry the names of a Kubernetes TLS Secret
 * (tls.crt, tls.key, ca.crt), so the same directory can be a mounted Secret; the CA and mesh CA keys sit beside them.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, chmodSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { type Result, ok, fail } from '../core/result.js';
import { generateMeshCa, generateWebhookCerts, type KeyPair } from './generate.js';
import { meshTrust, withExtraRoots, type ExtraRoot, type MeshTrust } from './trust.js';

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
  /** Optional: roots trusted besides mesh-ca.crt (PEM, one or more CA certificates), to rotate the mesh CA. */
  meshRoots: 'mesh-roots.crt',
} as const;

/** What the webhook server needs: its key pair and the CA bundle that verifies it. */
export interface ServingMaterial {
  cert: string;
  key: string;
  ca: string;
}

/** A file of `dir` as text; '' and an error in `errors` when it cannot be read (`missing`: what to say when it is absent). */
function readInto(errors: string[], dir: string, name: string, missing = 'missing'): string {
  const p = join(dir, name);
  try {
    return readFileSync(p, 'utf8');
  } catch (e) {
    errors.push(`${p}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? missing : (e as Error).message}`);
    return '';
  }
}

/** Reads tls.crt, tls.key and ca.crt (ca.crt optional: a Secret from cert-manager may lack it) and checks they load. */
export function readServingMaterial(dir: string): Result<ServingMaterial> {
  const errors: string[] = [];
  const cert = readInto(errors, dir, CertFiles.cert);
  const key = readInto(errors, dir, CertFiles.key);
  const ca = readInto([], dir, CertFiles.ca);
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

/**
 * Reads the mesh CA (mesh-ca.crt, mesh-ca.key) that `mizzen certs` wrote, and checks that the certificate is a CA
 * and the key is its own. A missing file is named, with the command that creates it.
 */
export function readMeshCa(dir: string): Result<KeyPair> {
  const errors: string[] = [];
  const missing = 'missing (run `mizzen certs` first to create the mesh CA)';
  const cert = readInto(errors, dir, CertFiles.meshCaCert, missing);
  const key = readInto(errors, dir, CertFiles.meshCaKey, missing);
  if (errors.length) return fail(...errors);
  const where = `${join(dir, CertFiles.meshCaCert)}, ${join(dir, CertFiles.meshCaKey)}`;
  try {
    const x509 = new X509Certificate(cert);
    if (!x509.ca) return fail(`${join(dir, CertFiles.meshCaCert)}: not a CA certificate`);
    if (!x509.checkPrivateKey(createPrivateKey(key))) return fail(`${where}: the key does not belong to the certificate`);
  } catch (e) {
    return fail(`${where}: not a usable key pair: ${(e as Error).message}`);
  }
  return ok({ cert, key });
}

/**
 * Reads the mesh's trust: mesh-ca.crt and mesh-ca.key, and mesh-roots.crt when it exists, checked as a whole
 * (trust.ts meshTrust), then the mesh config's roots (`extra`, its caCertificates) after them. Every error names its
 * file or field.
 */
export function readMeshTrust(dir: string, now: number = Date.now(), extra: readonly ExtraRoot[] = []): Result<MeshTrust> {
  const errors: string[] = [];
  const missing = 'missing (run `mizzen certs` first to create the mesh CA)';
  const cert = readInto(errors, dir, CertFiles.meshCaCert, missing);
  const key = readInto(errors, dir, CertFiles.meshCaKey, missing);
  const bundle = existsSync(join(dir, CertFiles.meshRoots)) ? readInto(errors, dir, CertFiles.meshRoots) : undefined;
  if (errors.length) return fail(...errors);
  const at = (name: string): string => join(dir, name);
  const where = { ca: at(CertFiles.meshCaCert), key: at(CertFiles.meshCaKey), bundle: at(CertFiles.meshRoots) };
  const own = meshTrust({ cert, key }, bundle, now, where);
  return own.ok ? withExtraRoots(own.value, extra, now, where) : own;
}

/** Writes one certificate file: 0600 when it holds a private key (also when the file already existed), 0644 otherwise. */
export function writeCertFile(path: string, data: string, secret: boolean): void {
  writeFileSync(path, data, { mode: secret ? 0o600 : 0o644 });
  if (secret) chmodSync(path, 0o600);
}

/**
 * Writes `path` as writeCertFile does, but through a temporary file beside it that is then renamed over it: a reader
 * never sees half a file, and Envoy, which watches a certificate directory for entries moved into it
 * (watched_directory), notices the new file.
 */
export function replaceCertFile(path: string, data: string, secret: boolean): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  writeCertFile(tmp, data, secret);
  renameSync(tmp, path);
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
    writeCertFile(p, data, secret);
    return p;
  });
}
