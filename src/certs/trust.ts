/**
 * The mesh's trust: the CA that signs (mesh-ca.crt and its key) and the roots every workload trusts, which are that
 * CA plus the optional bundle mesh-roots.crt (PEM, one or more CA certificates). The bundle is how a CA is rotated
 * without breaking mTLS, as Istio's plug-in CA rotation does with a root-cert.pem of several roots: first every
 * workload learns to trust the new root, then the signing CA changes while the old root stays trusted, and last the
 * old root is dropped.
 *
 * Two roots may not share a name: TLS stacks look a root up by the issuer name of the certificate they check, and
 * with two candidates they try one (Node's OpenSSL the first), so certificates of the other fail ("certificate
 * signature failure"). Each mesh CA mizzen generates carries a name of its own for that reason.
 *
 * Pure: PEM text and the clock in, values out. Reading the files is files.ts's, watching them mesh-ca.ts's.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { type Result, ok, fail } from '../core/result.js';
import type { KeyPair } from './generate.js';

/** Where a trusted root comes from: the signing CA's file, the bundle, or the mesh config's caCertificates. */
export type RootSource = 'mesh-ca.crt' | 'mesh-roots.crt' | 'meshConfig.caCertificates';

/** What is shown of a certificate (logs, /debug/meshca): never a key. */
export interface CertSummary {
  subject: string;
  /** SHA-256, as `openssl x509 -fingerprint -sha256` prints it. */
  fingerprint: string;
  notBefore: string;
  notAfter: string;
}

export interface TrustedRoot extends CertSummary {
  /** The PEM block as it was read. */
  pem: string;
  source: RootSource;
  /** For a root of the mesh config: its field (`caCertificates[0].pem`). */
  where?: string;
}

export interface MeshTrust {
  /** Signs workload certificates and the xDS-over-TLS certificate. */
  ca: KeyPair;
  /** The signing CA first, then the bundle's other roots in file order, then the mesh config's; no certificate twice. */
  roots: TrustedRoot[];
  /** The roots' PEM blocks joined: the root-cert.pem of every workload. */
  rootsPem: string;
  /**
   * The CA's own roots (mesh-ca.crt and mesh-roots.crt, not the mesh config's): the client CA of 15012, as istiod
   * checks xDS clients against its CA's roots alone.
   */
  caRootsPem: string;
  /** What is not wrong enough to refuse (an expired root in the bundle): logged and shown. */
  warnings: string[];
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** The CERTIFICATE blocks of a PEM text, each as written; any other block, an unterminated one or none is an error. */
export function pemCertificates(text: string, where: string): Result<string[]> {
  const blocks = [...text.matchAll(PEM_BLOCK)];
  const begun = text.match(/-----BEGIN /g)?.length ?? 0;
  const errors: string[] = [];
  if (begun > blocks.length) errors.push(`${where}: a PEM block without its END line (a file still being written?)`);
  blocks.forEach((b, i) => {
    if (b[1] !== 'CERTIFICATE') errors.push(`${where}: block ${i + 1} is ${/PRIVATE KEY/.test(b[1]!) ? 'a private key' : `a ${b[1]}`}: only certificates belong here`);
  });
  if (errors.length === 0 && blocks.length === 0) errors.push(`${where}: no PEM certificate in it`);
  return errors.length ? fail(...errors) : ok(blocks.map((b) => b[0]));
}

export function summary(x509: X509Certificate): CertSummary {
  return { subject: x509.subject.split('\n').join(', '), fingerprint: x509.fingerprint256, notBefore: new Date(x509.validFrom).toISOString(), notAfter: new Date(x509.validTo).toISOString() };
}

/** Whether the certificate issued itself (a root: what TLS stacks anchor a chain on). */
function selfSigned(x509: X509Certificate): boolean {
  try {
    return x509.checkIssued(x509) && x509.verify(x509.publicKey);
  } catch {
    return false;
  }
}

/**
 * The mesh's trust from the signing pair and the bundle's text (undefined: no bundle file). Refused: a CA file that
 * is not one CA certificate, a key that is not its own, a CA that has expired, a bundle that does not parse or holds
 * anything but CA certificates. An expired or not self-signed root in the bundle is only a warning.
 */
export function meshTrust(ca: KeyPair, bundle: string | undefined, now: number, where = { ca: 'mesh-ca.crt', key: 'mesh-ca.key', bundle: 'mesh-roots.crt' }): Result<MeshTrust> {
  const caBlocks = pemCertificates(ca.cert, where.ca);
  if (!caBlocks.ok) return caBlocks;
  if (caBlocks.value.length > 1) return fail(`${where.ca}: holds ${caBlocks.value.length} certificates; it must hold the signing CA alone (put other roots in ${where.bundle})`);
  let caX509: X509Certificate;
  try {
    caX509 = new X509Certificate(caBlocks.value[0]!);
  } catch (e) {
    return fail(`${where.ca}: not a readable certificate: ${(e as Error).message}`);
  }
  if (!caX509.ca) return fail(`${where.ca}: not a CA certificate`);
  if (Date.parse(caX509.validTo) <= now) return fail(`${where.ca}: expired ${summary(caX509).notAfter}`);
  try {
    if (!caX509.checkPrivateKey(createPrivateKey(ca.key))) return fail(`${where.ca}, ${where.key}: the key does not belong to the certificate`);
  } catch (e) {
    return fail(`${where.key}: not a readable private key: ${(e as Error).message}`);
  }
  const roots: TrustedRoot[] = [{ ...summary(caX509), pem: caBlocks.value[0]!, source: 'mesh-ca.crt' }];
  const warnings: string[] = [];
  if (bundle !== undefined) {
    const blocks = pemCertificates(bundle, where.bundle);
    if (!blocks.ok) return fail(...blocks.errors.map((e) => (e.endsWith('no PEM certificate in it') ? `${e} (delete the file to trust ${where.ca} alone)` : e)));
    const errors: string[] = [];
    const named = (r: TrustedRoot): string => (r.source === 'mesh-ca.crt' ? where.ca : where.bundle);
    blocks.value.forEach((pem, i) => admitRoot(roots, pem, `${where.bundle}: certificate ${i + 1}`, 'mesh-roots.crt', now, named, errors, warnings));
    if (errors.length) return fail(...errors);
  }
  return ok(withRootsPem({ ca: { cert: ca.cert, key: ca.key }, roots, warnings }));
}

/** A root from the mesh config (caCertificates): the PEM block and the field it came from. */
export interface ExtraRoot {
  pem: string;
  /** e.g. `caCertificates[0].pem`, with `certificate 2` when the entry holds several. */
  where: string;
}

/**
 * The trust with the mesh config's roots (Istio's caCertificates) after the CA's own: every workload trusts them too,
 * as istiod adds them to the trust bundle it gives workloads. A certificate already trusted is not added twice; a
 * root of another root's name is refused, as in the bundle. Each error names the file or the field.
 */
export function withExtraRoots(trust: MeshTrust, extra: readonly ExtraRoot[], now: number, where = { ca: 'mesh-ca.crt', bundle: 'mesh-roots.crt' }): Result<MeshTrust> {
  if (extra.length === 0) return ok(trust);
  const roots = [...trust.roots];
  const warnings = [...trust.warnings];
  const errors: string[] = [];
  const named = (r: TrustedRoot): string => (r.source === 'mesh-ca.crt' ? where.ca : r.source === 'mesh-roots.crt' ? where.bundle : (r.where ?? r.source));
  for (const e of extra) admitRoot(roots, e.pem, e.where, 'meshConfig.caCertificates', now, named, errors, warnings, e.where);
  return errors.length ? fail(...errors) : ok(withRootsPem({ ca: trust.ca, roots, warnings }));
}

/**
 * Adds one root to `roots` unless it is there already: refused (in `errors`) when it is not a readable CA
 * certificate or has the name of another root; an expired or not self-signed one is kept with a warning.
 */
function admitRoot(roots: TrustedRoot[], pem: string, at: string, source: RootSource, now: number, named: (r: TrustedRoot) => string, errors: string[], warnings: string[], field?: string): void {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(pem);
  } catch (e) {
    errors.push(`${at}: not readable: ${(e as Error).message}`);
    return;
  }
  const s = summary(x509);
  if (!x509.ca) return void errors.push(`${at} (${s.subject}): not a CA certificate`);
  if (Date.parse(x509.validTo) <= now) warnings.push(`${at} (${s.subject}, ${s.fingerprint}): expired ${s.notAfter}; it verifies nothing, drop it`);
  else if (!selfSigned(x509)) warnings.push(`${at} (${s.subject}): not self-signed, so peers anchor no chain on it unless its issuer is trusted too`);
  if (roots.some((r) => r.fingerprint === s.fingerprint)) return;
  // OpenSSL and BoringSSL find a certificate's root by its issuer name (mizzen's CAs carry no key identifiers
  // to tell two apart), so with two roots of one name, certificates of one are checked against the other.
  const twin = roots.find((r) => r.subject === s.subject);
  if (twin) return void errors.push(`${at} (${s.subject}, ${s.fingerprint}): has the name of the root ${twin.fingerprint} of ${named(twin)}; TLS stacks pick a root by name, so certificates of one would be checked against the other: give each CA a name of its own`);
  roots.push({ ...s, pem, source, ...(field ? { where: field } : {}) });
}

/** The trust with its PEM texts joined from its roots. */
function withRootsPem(t: Pick<MeshTrust, 'ca' | 'roots' | 'warnings'>): MeshTrust {
  const own = t.roots.filter((r) => r.source !== 'meshConfig.caCertificates');
  return { ...t, rootsPem: t.roots.map((r) => r.pem).join('\n'), caRootsPem: own.map((r) => r.pem).join('\n') };
}

/** The trust of a CA alone (no bundle), for callers that hold only a key pair. Throws on a pair that is not a CA (a bug). */
export function trustOf(source: KeyPair | MeshTrust): MeshTrust {
  if ('roots' in source) return source;
  const x509 = new X509Certificate(source.cert);
  return { ca: source, roots: [{ ...summary(x509), pem: source.cert, source: 'mesh-ca.crt' }], rootsPem: source.cert, caRootsPem: source.cert, warnings: [] };
}

/** How a consumer is given the mesh's trust: fixed (a key pair, or a trust), or read anew at each use (a MeshAuthority's current). */
export type TrustSource = KeyPair | MeshTrust | (() => MeshTrust);

export const currentTrust = (source: TrustSource): MeshTrust => trustOf(typeof source === 'function' ? source() : source);

/** The SHA-256 fingerprints of a PEM text's certificates; undefined when it is not one or more readable certificates. */
export function fingerprintsOf(text: string): string[] | undefined {
  const blocks = pemCertificates(text, '');
  if (!blocks.ok) return undefined;
  try {
    return blocks.value.map((b) => new X509Certificate(b).fingerprint256);
  } catch {
    return undefined;
  }
}

/** Whether a root file trusts exactly the mesh's roots (the same certificates, in any order, however written). */
export function rootsMatch(rootFile: string, trust: MeshTrust): boolean {
  const have = fingerprintsOf(rootFile);
  if (!have) return false;
  const want = new Set(trust.roots.map((r) => r.fingerprint));
  return new Set(have).size === want.size && have.every((f) => want.has(f));
}

/** What changed from one trust to the next, for the log and /debug/meshca. */
export interface TrustChange {
  /** The signing CA, when it changed. */
  ca?: { from: CertSummary; to: CertSummary };
  added: CertSummary[];
  removed: CertSummary[];
}

const bare = ({ subject, fingerprint, notBefore, notAfter }: CertSummary): CertSummary => ({ subject, fingerprint, notBefore, notAfter });

export function trustChange(prev: MeshTrust, next: MeshTrust): TrustChange {
  const had = new Set(prev.roots.map((r) => r.fingerprint));
  const has = new Set(next.roots.map((r) => r.fingerprint));
  const caFrom = prev.roots[0]!;
  const caTo = next.roots[0]!;
  return {
    ...(caFrom.fingerprint !== caTo.fingerprint ? { ca: { from: bare(caFrom), to: bare(caTo) } } : {}),
    added: next.roots.filter((r) => !had.has(r.fingerprint)).map(bare),
    removed: prev.roots.filter((r) => !has.has(r.fingerprint)).map(bare),
  };
}

export const isNoChange = (c: TrustChange, prev: MeshTrust, next: MeshTrust): boolean => !c.ca && c.added.length === 0 && c.removed.length === 0 && prev.ca.key === next.ca.key;

/**
 * Why going from `prev` to `next` without a restart would break mTLS; empty when it is safe. As Istio's plug-in CA
 * reload, the roots may grow or shrink but not both at once. And since the signing CA is a root here: a new signing
 * CA must already be trusted (step 1 done), and the old one must stay trusted until everything it signed is
 * re-issued. A restart takes any valid set.
 */
export function transitionProblems(prev: MeshTrust, next: MeshTrust): string[] {
  const c = trustChange(prev, next);
  const had = new Set(prev.roots.map((r) => r.fingerprint));
  const has = new Set(next.roots.map((r) => r.fingerprint));
  const problems: string[] = [];
  const name = (s: CertSummary): string => `${s.subject} (${s.fingerprint})`;
  if (c.added.length > 0 && c.removed.length > 0) {
    problems.push(`the trusted roots would gain ${c.added.map(name).join(', ')} and lose ${c.removed.map(name).join(', ')} at once: add roots first, and drop old ones once every certificate is re-issued`);
  }
  if (c.ca) {
    if (!had.has(c.ca.to.fingerprint)) problems.push(`the new mesh CA ${name(c.ca.to)} is not trusted yet: add it to mesh-roots.crt first, and switch once every workload has it`);
    if (!has.has(c.ca.from.fingerprint)) problems.push(`the previous mesh CA ${name(c.ca.from)} would no longer be trusted while certificates it signed are in use: keep it in mesh-roots.crt until every certificate is re-issued`);
  }
  return problems;
}
