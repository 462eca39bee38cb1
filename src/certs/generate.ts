/**
 * Certificate generation with `selfsigned`: a CA, and serving certificates it signs.
 * Keys are ECDSA P-256 (fast to generate, accepted by kube-apiserver, Envoy and Node), signatures SHA-256.
 */
import { generate } from 'selfsigned';
import { X509Certificate, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { Defaults } from '../core/constants.js';

export interface KeyPair {
  /** PEM certificate. */
  cert: string;
  /** PEM private key (PKCS#8). */
  key: string;
}

/** The webhook serving certificate and the CA that signs it (the caBundle of the webhook configurations). */
export interface WebhookCerts {
  ca: KeyPair;
  serving: KeyPair;
}

/** Names the webhook answers to: the Service DNS names, its cluster.local form, and the local ones. */
export function webhookNames(service: string = Defaults.serviceName, namespace: string = Defaults.controlPlaneNamespace): string[] {
  return [`${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`, 'localhost', '127.0.0.1'];
}

const DAY = 24 * 60 * 60 * 1000;

/** A validity window of `days`, starting a few minutes ago so clocks that lag slightly still accept a fresh certificate. */
function validity(days: number): { notBeforeDate: Date; notAfterDate: Date } {
  const notBeforeDate = new Date(Date.now() - 5 * 60 * 1000);
  return { notBeforeDate, notAfterDate: new Date(notBeforeDate.getTime() + days * DAY) };
}

/** A self-signed CA. */
export async function generateCa(commonName: string, days = 3650): Promise<KeyPair> {
  const pems = await generate([{ name: 'commonName', value: commonName }, { name: 'organizationName', value: 'mizzen' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    ...validity(days),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** What a leaf certificate says besides its key: subject, validity, extended usages, alternative names. */
export interface LeafSpec {
  subject: Array<{ name: string; value: string }>;
  days: number;
  usages: { serverAuth?: boolean; clientAuth?: boolean };
  /** selfsigned's forms: type 2 DNS, 6 URI, 7 IP. */
  altNames: Array<{ type: 2 | 6; value: string } | { type: 7; ip: string }>;
  /** Mark the SAN extension critical (required when the subject is empty of a name, as for SPIFFE identities). */
  sanCritical?: boolean;
}

/** A leaf certificate signed by `ca`: a fresh P-256 key, SHA-256, for signatures and key exchange. */
export async function signLeaf(ca: KeyPair, spec: LeafSpec): Promise<KeyPair> {
  const pems = await generate(spec.subject, {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    ...validity(spec.days),
    ca: { key: ca.key, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', ...spec.usages },
      { name: 'subjectAltName', altNames: spec.altNames, ...(spec.sanCritical ? { critical: true } : {}) },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** A serving certificate for `names` (DNS names and IP addresses), signed by `ca`. The first name is the CN. */
export async function generateServingCert(ca: KeyPair, names: string[], days = 365): Promise<KeyPair> {
  if (names.length === 0) throw new Error('generateServingCert: at least one name is needed');
  return signLeaf(ca, {
    subject: [{ name: 'commonName', value: names[0]! }],
    days,
    usages: { serverAuth: true },
    altNames: names.map((n) => (isIP(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n })),
  });
}

/** A fresh webhook CA and a serving certificate for `names` (default: webhookNames()). */
export async function generateWebhookCerts(names: string[] = webhookNames()): Promise<WebhookCerts> {
  const ca = await generateCa('mizzen webhook CA');
  return { ca, serving: await generateServingCert(ca, names) };
}

/**
 * The mesh CA: the root that signs workload certificates (mTLS, xDS over TLS on 15012). Its name carries the day it
 * was made and a random tag, so that the next one, trusted beside it while the CA is rotated, has another name
 * (peers look a root up by name: certs/trust.ts).
 */
export async function generateMeshCa(trustDomain = 'cluster.local'): Promise<KeyPair> {
  return generateCa(`mizzen mesh CA (${trustDomain}) ${new Date().toISOString().slice(0, 10)} ${randomBytes(4).toString('hex')}`);
}

/** SHA-256 fingerprint of a PEM certificate: how tests and logs tell certificates apart. */
export function fingerprint(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}
