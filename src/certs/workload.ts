/**
 * Workload certificates: a short-lived leaf signed by the mesh CA whose only identity is a SPIFFE URI SAN
 * (spiffe://<trust domain>/ns/<namespace>/sa/<service account>), usable for both ends of mesh mTLS.
 * The files carry the names Istio's agent writes for proxyless gRPC (under /var/lib/istio/data), so a gRPC
 * bootstrap's `file_watcher` certificate provider can point at the directory.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { signLeaf, type KeyPair } from './generate.js';
import { replaceCertFile } from './files.js';
import { trustOf, type MeshTrust } from './trust.js';
import { TRUST_DOMAIN, WorkloadCertFiles } from '../core/constants.js';
import { spiffeId } from '../core/spiffe.js';
import { isDns1123Label, isDns1123Subdomain } from '../validation/common.js';

/** How `mizzen serve --rotate-workload-certs` (sources/kube/cert-rotator.ts) finds the Secrets it renews, and whose they are. */
export const WORKLOAD_CERT_LABEL = 'mizzen.io/workload-cert';
export const SERVICE_ACCOUNT_ANNOTATION = 'mizzen.io/service-account';

/** File names in a workload certificate directory. */
export { WorkloadCertFiles };

export interface WorkloadId {
  trustDomain: string;
  namespace: string;
  serviceAccount: string;
}

/** PEM contents of a workload certificate directory. */
export interface WorkloadCert {
  /** The leaf; the mesh CA is a root, so nothing follows it. */
  certChain: string;
  key: string;
  /** The mesh's trusted roots (the mesh CA, and mesh-roots.crt's while a rotation is under way): what peers are verified against. */
  root: string;
}

export { spiffeId };

/** What is wrong with a workload identity, each message naming its field; empty when it is fine. */
export function workloadIdErrors(id: WorkloadId): string[] {
  const errors: string[] = [];
  // Kubernetes names: a namespace is a DNS-1123 label, a service account a DNS-1123 subdomain.
  if (!isDns1123Label(id.namespace)) {
    errors.push(`namespace: "${id.namespace}" must be a DNS-1123 label (lowercase letters, digits, '-'; at most 63)`);
  }
  if (!isDns1123Subdomain(id.serviceAccount)) {
    errors.push(`serviceAccount: "${id.serviceAccount}" must be a DNS-1123 subdomain (lowercase letters, digits, '-', '.'; at most 253)`);
  }
  if (!TRUST_DOMAIN.test(id.trustDomain)) {
    errors.push(`trustDomain: "${id.trustDomain}" must be a SPIFFE trust domain (lowercase letters, digits, '.', '-', '_')`);
  }
  return errors;
}

/**
 * A workload certificate for `id`, signed by the mesh CA, valid for `days`, with the mesh's trusted roots (a bare key
 * pair: that CA alone). Throws on a malformed id.
 */
export async function issueWorkloadCert(authority: KeyPair | MeshTrust, id: WorkloadId, days = 1): Promise<WorkloadCert> {
  const trust = trustOf(authority);
  const errors = workloadIdErrors(id);
  if (!(days > 0) || !Number.isFinite(days)) errors.push(`days: ${days} must be a positive number`);
  if (errors.length > 0) throw new Error(`issueWorkloadCert: ${errors.join('; ')}`);
  // No CN: the identity is the URI SAN alone, so that extension is critical (a peer that cannot read it must refuse).
  const leaf = await signLeaf(trust.ca, {
    subject: [{ name: 'organizationName', value: 'mizzen' }],
    days,
    usages: { serverAuth: true, clientAuth: true },
    altNames: [{ type: 6, value: spiffeId(id.trustDomain, id.namespace, id.serviceAccount) }],
    sanCritical: true,
  });
  return { certChain: leaf.cert, key: leaf.key, root: trust.rootsPem };
}

/**
 * Writes cert-chain.pem, key.pem (0600) and root-cert.pem into `dir` (created when missing); returns the paths. Each
 * file replaces the old one by a rename, so that an Envoy watching `dir` re-reads a renewed certificate.
 */
export function writeWorkloadCert(dir: string, c: WorkloadCert): string[] {
  mkdirSync(dir, { recursive: true });
  const files: Array<[string, string, boolean]> = [
    [WorkloadCertFiles.certChain, c.certChain, false],
    [WorkloadCertFiles.key, c.key, true],
    [WorkloadCertFiles.root, c.root, false],
  ];
  return files.map(([name, data, secret]) => {
    const p = join(dir, name);
    replaceCertFile(p, data, secret);
    return p;
  });
}

/**
 * The certificate as a Kubernetes Secret in the workload's namespace, keyed by the file names: mounted at
 * /var/lib/istio/data it is the directory a proxyless gRPC bootstrap's certificate provider reads. Labelled and
 * annotated so that `mizzen serve --rotate-workload-certs` renews it.
 */
export function workloadSecret(name: string, id: WorkloadId, c: WorkloadCert): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: id.namespace, labels: { [WORKLOAD_CERT_LABEL]: 'true' }, annotations: { [SERVICE_ACCOUNT_ANNOTATION]: id.serviceAccount } },
    type: 'Opaque',
    data: workloadSecretData(c),
  };
}

/** A Secret's `data` for the certificate: the three files, base64, keyed by their names. */
export function workloadSecretData(c: WorkloadCert): Record<string, string> {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  return { [WorkloadCertFiles.certChain]: b64(c.certChain), [WorkloadCertFiles.key]: b64(c.key), [WorkloadCertFiles.root]: b64(c.root) };
}
