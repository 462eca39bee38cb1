/**
 * When a workload certificate (the three PEMs of a Secret that `mizzen workload-cert --secret` made) must be issued
 * anew: when two thirds of its lifetime have passed, as Istio's agent renews, or at once when it is not what the
 * mesh CA would issue for the identity now (unreadable, another CA, another identity, a key that is not its own, a
 * root file that is not the mesh's trusted roots: during a CA rotation, that is how every workload gets a new root
 * first and then a certificate from the new CA). Pure: reads the PEMs and the clock it is given.
 */
import { X509Certificate, createPublicKey } from 'node:crypto';
import type { KeyPair } from './generate.js';
import { rootsMatch, trustOf, type MeshTrust } from './trust.js';
import { spiffeId, type WorkloadCert, type WorkloadId } from './workload.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Renew once this share of the lifetime has passed (Istio's SECRET_GRACE_PERIOD_RATIO is the other half of it). */
export const RENEW_AT = 2 / 3;

export interface Renewal {
  /** Issue a new certificate now. */
  due: boolean;
  /** Why (or why not), for logs. */
  reason: string;
  /** When it will be due, if it is not (ms since the epoch). */
  dueAt?: number;
  /** The lifetime to issue with, in days: the current one's, else 1. */
  days: number;
}

/** The renewal decision for `cert` (any field may be missing: a Secret edited by hand) at `now`; a bare key pair is that CA alone. */
export function renewal(cert: Partial<WorkloadCert>, id: WorkloadId, authority: KeyPair | MeshTrust, now: number): Renewal {
  const trust = trustOf(authority);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert.certChain ?? '');
  } catch {
    return { due: true, reason: 'no readable certificate', days: 1 };
  }
  const from = Date.parse(leaf.validFrom);
  const to = Date.parse(leaf.validTo);
  const days = to > from ? (to - from) / DAY_MS : 1;
  const stale = (reason: string): Renewal => ({ due: true, reason, days });
  const caCert = new X509Certificate(trust.ca.cert);
  if (!leaf.verify(caCert.publicKey)) return stale('not signed by the mesh CA');
  const want = spiffeId(id.trustDomain, id.namespace, id.serviceAccount);
  if (leaf.subjectAltName !== `URI:${want}`) return stale(`its identity is not ${want}`);
  try {
    const key = createPublicKey(cert.key ?? '').export({ type: 'spki', format: 'der' });
    if (!key.equals(leaf.publicKey.export({ type: 'spki', format: 'der' }))) return stale('key.pem is not the key of the certificate');
  } catch {
    return stale('no readable key');
  }
  if (!rootsMatch(cert.root ?? '', trust)) return stale(trust.roots.length > 1 ? `root-cert.pem is not the trusted roots (${rootSources(trust)})` : 'root-cert.pem is not the mesh CA');
  const life = lifetimeRenewal(leaf, now);
  return life.due ? { due: true, reason: life.reason, days } : { due: false, reason: 'fresh', dueAt: life.dueAt, days };
}

/** Where the trusted roots (more than one, so two sources at least) come from, for a reason: `mesh-ca.crt and mesh-roots.crt`. */
function rootSources(trust: MeshTrust): string {
  const names = [...new Set(trust.roots.map((r) => (r.source === 'meshConfig.caCertificates' ? "the mesh config's caCertificates" : r.source)))];
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** Whether two thirds of a certificate's lifetime have passed at `now`, and when they will have. */
export function lifetimeRenewal(leaf: X509Certificate, now: number): { due: boolean; reason: string; dueAt: number } {
  const from = Date.parse(leaf.validFrom);
  const to = Date.parse(leaf.validTo);
  const dueAt = from + (to - from) * RENEW_AT;
  if (now >= dueAt) return { due: true, reason: `${Math.round((100 * (now - from)) / Math.max(1, to - from))} % of its lifetime has passed`, dueAt };
  return { due: false, reason: 'fresh', dueAt };
}

/** When a serving certificate signed by the mesh CA must be signed anew: another CA signed it, or it is aging. */
export function servingRenewal(certPem: string, caPem: string, now: number): { due: boolean; reason: string } {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(certPem);
    if (!leaf.verify(new X509Certificate(caPem).publicKey)) return { due: true, reason: 'not signed by the mesh CA' };
  } catch {
    return { due: true, reason: 'no readable certificate' };
  }
  return lifetimeRenewal(leaf, now);
}
