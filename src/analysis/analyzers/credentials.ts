/**
 * Gateway servers that terminate TLS with a credentialName (or credentialNames), checked as mizzen serves them
 * (xds/gen/credentials.ts): from the Secrets of the namespace of the gateway workloads, and only to gateways that
 * prove their identity, which the mesh config's workloadCertificateSecrets makes possible (MZ0013, checked when the
 * mesh config is known). A name with no Secret holding a certificate and key in such a namespace (MZ0014) is
 * reported only where the input has Secrets in that namespace: offline YAML rarely carries Secrets, and the
 * Kubernetes source keeps only those with credentials. `builtin://` is the gateway's own mesh certificate, not a
 * Secret: it too needs workloadCertificateSecrets, and is never looked up.
 */
import { finding, type Finding } from '../finding.js';
import { arr, labelMap, rec, str } from '../shape.js';
import { nameOf, nsOf, type World } from '../world.js';
import { isBuiltinCredential } from '../../model/credentials.js';

const TERMINATING = new Set(['SIMPLE', 'MUTUAL', 'OPTIONAL_MUTUAL']);
const PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['tls.crt', 'tls.key'],
  ['cert', 'key'],
];

/** The credential names of each terminating server, with the path of the field that names them. */
function credentialRefs(gw: { spec?: unknown }): Array<{ name: string; path: string }> {
  const out: Array<{ name: string; path: string }> = [];
  for (const [i, raw] of arr(rec(gw.spec).servers).entries()) {
    const tls = rec(rec(raw).tls);
    if (!TERMINATING.has(str(tls.mode) ?? '')) continue;
    const single = str(tls.credentialName);
    if (single) out.push({ name: single, path: `spec.servers[${i}].tls.credentialName` });
    else for (const [j, n] of arr(tls.credentialNames).entries()) if (typeof n === 'string' && n) out.push({ name: n, path: `spec.servers[${i}].tls.credentialNames[${j}]` });
  }
  return out;
}

export function gatewayCredentials(w: World): Finding[] {
  const out: Finding[] = [];
  const secrets = w.core('Secret');
  for (const gw of w.subjects('Gateway')) {
    const refs = credentialRefs(gw);
    if (refs.length === 0) continue;
    if (w.credentialsServed === false) {
      for (const r of refs) {
        out.push(
          finding(
            'MZ0013',
            gw,
            isBuiltinCredential(r.name)
              ? `credentialName "${r.name}" is the gateway's own workload certificate, which it has only with the mesh config's workloadCertificateSecrets (install with make manifests MTLS=1); without it this server gets no listener`
              : `credentialName "${r.name}" is served only to gateways that prove their identity, which needs the mesh config's workloadCertificateSecrets (install with make manifests MTLS=1); without it the gateway gets no certificate and this server's TLS handshakes fail`,
            r.path,
          ),
        );
      }
      continue;
    }
    const sel = labelMap(rec(gw.spec).selector);
    const namespaces = [...new Set(w.matchWorkloads(sel).map((wl) => wl.namespace))].sort();
    for (const ns of namespaces) {
      const here = secrets.filter((s) => nsOf(s) === ns);
      if (here.length === 0) continue;
      for (const r of refs) {
        if (isBuiltinCredential(r.name)) continue;
        const s = here.find((x) => nameOf(x) === r.name);
        const data = { ...rec(s?.data), ...rec(s?.stringData) };
        if (s && PAIRS.some(([c, k]) => typeof data[c] === 'string' && typeof data[k] === 'string')) continue;
        out.push(
          finding(
            'MZ0014',
            gw,
            `No Secret "${r.name}" with a certificate and key (tls.crt and tls.key, or cert and key) in namespace "${ns}", where the gateway workloads serving this Gateway run: they get no certificate for this server`,
            r.path,
          ),
        );
      }
    }
  }
  return out;
}
