/**
 * Istio's caCertificates: extra trust anchors for workload-to-workload mTLS. As istiod applies them: each entry's
 * `pem` roots join the roots every workload trusts (its root-cert.pem, beside mesh-ca.crt and mesh-roots.crt;
 * certs/trust.ts withExtraRoots), and each entry's `trustDomains` join the trust domains that sidecars accept client
 * identities of (beside trustDomain and trustDomainAliases). `spiffeBundleUrl` (a remote bundle to fetch) and
 * `certSigners` (Kubernetes signers istiod registers for) are warned as not applied, naming the entry; a pem root
 * with certSigners is trusted by every workload, as istiod's trust bundle takes it. Pure.
 */
import { X509Certificate } from 'node:crypto';
import { isObject } from '../core/object.js';
import { shown } from '../core/shown.js';
import { TRUST_DOMAIN } from '../core/constants.js';
import { pemCertificates, summary, type ExtraRoot } from '../certs/trust.js';

/** One entry, as checked: `pem` and `spiffeBundleUrl` are each other's alternative (a proto oneof). */
export interface CaCertificate {
  pem?: string;
  spiffeBundleUrl?: string;
  certSigners?: string[];
  trustDomains?: string[];
}

/** The entry's fields by JSON name, with their proto names (spiffe_bundle_url) mapped to them. */
const FIELDS: Record<string, keyof CaCertificate> = {
  pem: 'pem',
  spiffeBundleUrl: 'spiffeBundleUrl',
  spiffe_bundle_url: 'spiffeBundleUrl',
  certSigners: 'certSigners',
  cert_signers: 'certSigners',
  trustDomains: 'trustDomains',
  trust_domains: 'trustDomains',
};

/** The checked entries of `value` (the mesh config's caCertificates); errors and warnings name `caCertificates[i].<field>`. */
export function readCaCertificates(value: unknown, errors: string[], warnings: string[]): CaCertificate[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    errors.push(`caCertificates: must be a list, got ${shown(value)}`);
    return [];
  }
  const out: CaCertificate[] = [];
  value.forEach((entry, i) => {
    const at = `caCertificates[${i}]`;
    if (!isObject(entry)) return void errors.push(`${at}: must be a mapping, got ${shown(entry)}`);
    const before = errors.length;
    const c: CaCertificate = {};
    for (const [key, v] of Object.entries(entry)) {
      const field = Object.hasOwn(FIELDS, key) ? FIELDS[key]! : undefined;
      if (!field) errors.push(`${at}.${key}: unknown field`);
      else if (v === null || v === undefined) continue;
      else if (field === 'pem' || field === 'spiffeBundleUrl') {
        if (typeof v !== 'string') errors.push(`${at}.${key}: must be a string, got ${shown(v)}`);
        else if (v !== '') c[field] = v;
      } else if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) errors.push(`${at}.${key}: must be a list of strings, got ${shown(v)}`);
      else c[field] = [...v];
    }
    if (c.pem !== undefined && c.spiffeBundleUrl !== undefined) errors.push(`${at}: set pem or spiffeBundleUrl, not both (one certificate source per entry)`);
    if (c.pem !== undefined) errors.push(...pemErrors(c.pem, `${at}.pem`));
    c.trustDomains?.forEach((td, j) => {
      if (!TRUST_DOMAIN.test(td)) errors.push(`${at}.trustDomains[${j}]: ${shown(td)} must be a SPIFFE trust domain (lowercase letters, digits, '.', '-', '_')`);
    });
    if (errors.length > before) return;
    if (c.spiffeBundleUrl !== undefined) warnings.push(`${at}.spiffeBundleUrl: not applied: mizzen fetches no remote SPIFFE bundles (${c.spiffeBundleUrl}); put the bundle's roots in pem instead`);
    if (c.certSigners?.length) warnings.push(`${at}.certSigners: not applied: mizzen signs with its own mesh CA, not Kubernetes signers; ${c.pem !== undefined ? 'the pem roots are trusted by every workload' : 'the entry names no pem roots'}`);
    out.push(c);
  });
  return out;
}

/** What is wrong with a pem field: it must be one or more readable X.509 CA certificates. */
function pemErrors(text: string, at: string): string[] {
  const blocks = pemCertificates(text, at);
  if (!blocks.ok) return blocks.errors;
  return blocks.value.flatMap((pem, k) => {
    const which = blocks.value.length > 1 ? `${at}: certificate ${k + 1}` : at;
    try {
      const x509 = new X509Certificate(pem);
      return x509.ca ? [] : [`${which} (${summary(x509).subject}): not a CA certificate`];
    } catch (e) {
      return [`${which}: not a readable X.509 certificate: ${(e as Error).message}`];
    }
  });
}

/** The pem roots of the entries, each PEM block with the field it came from, in order. */
export function caCertificateRoots(list: readonly CaCertificate[]): ExtraRoot[] {
  return list.flatMap((c, i) => {
    if (c.pem === undefined) return [];
    const blocks = pemCertificates(c.pem, '');
    if (!blocks.ok) return []; // refused when the mesh config was read
    return blocks.value.map((pem, k) => ({ pem, where: blocks.value.length > 1 ? `caCertificates[${i}].pem: certificate ${k + 1}` : `caCertificates[${i}].pem` }));
  });
}

/** The entries' trust domains, each once, in order. */
export const caTrustDomains = (list: readonly CaCertificate[]): string[] => [...new Set(list.flatMap((c) => c.trustDomains ?? []))];
