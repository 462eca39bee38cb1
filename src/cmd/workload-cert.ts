/**
 * `mizzen workload-cert --namespace NS --service-account SA --out DIR | --secret NAME`: a workload mTLS certificate
 * (SPIFFE URI SAN) signed by the mesh CA that `mizzen certs` wrote, as files or as a Kubernetes Secret on stdout.
 * With --out, also the file-based SDS config through which an Envoy (`mizzen bootstrap --xds-tls`) presents the
 * certificate on xDS. Bad flags exit 2 naming the flag; a missing mesh CA exits 1.
 */
import { join, resolve } from 'node:path';
import { parseFlags, withUsage, UsageError } from './args.js';
import { DEFAULT_TRUST_DOMAIN, MeshCerts } from '../core/constants.js';
import { stringify } from 'yaml';
import { issueWorkloadCert, readMeshTrust, replaceCertFile, spiffeId, workloadIdErrors, workloadSecret, writeWorkloadCert } from '../certs/index.js';
import { xdsClientSds } from '../bootstrap/envoy.js';
import { loadMeshConfig } from '../config/mesh.js';
import { caCertificateRoots } from '../config/ca-certificates.js';

const HELP = `usage: mizzen workload-cert --namespace NS --service-account SA (--out DIR | --secret NAME) [flags]

Issues a workload certificate signed by the mesh CA, whose identity is the SPIFFE id
spiffe://<trust domain>/ns/<namespace>/sa/<service account>, and writes it in the layout Istio's agent
uses for proxyless gRPC: cert-chain.pem, key.pem (mode 0600), root-cert.pem (the mesh CA, the roots of
mesh-roots.crt when the certs directory has one: a mesh CA rotation is under way, and those of the mesh config's
caCertificates with --mesh-config), and beside them
${MeshCerts.xdsClientFile}, the file-based SDS config through which Envoy reads its certificate for xDS over TLS
(it names the files by their absolute path here: write them where the proxy reads them).

A proxyless gRPC application points its bootstrap at that directory:
  mizzen bootstrap --grpc --cert-dir DIR ...
and mizzen's xDS then gives it mTLS. So does an Envoy outside Kubernetes (a VM), which with --xds-tls also
proves its identity to mizzen's xDS on 15012 with it:
  mizzen bootstrap --node ID --cert-dir DIR --xds-tls ...
The certificate is short-lived: issue it again before it expires (each file is replaced by a rename; the gRPC
bootstrap's file_watcher and Envoy pick up the new files).

  --namespace NS            the workload's namespace (required)
  --service-account SA      the workload's service account (required)
  --out DIR                 where to write (created when missing)
  --secret NAME             print a Kubernetes Secret NAME in the namespace instead, with the same three keys:
                            mizzen workload-cert ... --secret reviews-mesh-cert | kubectl apply -f -
                            then mount it at /var/lib/istio/data; mizzen serve --rotate-workload-certs
                            renews it before it expires (label mizzen.io/workload-cert=true)
  --certs-dir DIR           where mesh-ca.crt and mesh-ca.key are, and mesh-roots.crt if any (default certs/,
                            from 'mizzen certs')
  --mesh-config FILE        the mesh config (YAML): its caCertificates' pem roots join root-cert.pem, and its
                            trustDomain is the default of --trust-domain
  --trust-domain TD         the mesh trust domain (default ${DEFAULT_TRUST_DOMAIN}, or the mesh config's)
  --days N                  validity in days (default 1)
`;

const FLAGS = {
  namespace: { type: 'string' },
  'service-account': { type: 'string' },
  out: { type: 'string' },
  secret: { type: 'string' },
  'certs-dir': { type: 'string', default: 'certs' },
  'mesh-config': { type: 'string' },
  'trust-domain': { type: 'string' },
  days: { type: 'string', default: '1' },
} as const;

/** Errors from workloadIdErrors name fields; on the command line those are flags. */
const flagNames = (e: string): string =>
  e.replace(/^namespace:/, '--namespace:').replace(/^serviceAccount:/, '--service-account:').replace(/^trustDomain:/, '--trust-domain:');

export async function run(argv: string[]): Promise<number> {
  return withUsage(HELP, argv, async () => {
    const { values: v } = parseFlags(argv, FLAGS);
    for (const flag of ['namespace', 'service-account'] as const) {
      if (!v[flag]) throw new UsageError(`mizzen workload-cert: --${flag} is required`);
    }
    if (!v.out === !v.secret) throw new UsageError('mizzen workload-cert: give one of --out DIR or --secret NAME');
    const mesh = loadMeshConfig(v['mesh-config']);
    if (!mesh.ok) throw new UsageError(mesh.errors.map((e) => `mizzen workload-cert: --mesh-config: ${e}`).join('\n'));
    for (const w of mesh.warnings ?? []) process.stderr.write(`mizzen workload-cert: warning: ${w}\n`);
    const trustDomain = v['trust-domain'] ?? (v['mesh-config'] ? mesh.value.trustDomain : DEFAULT_TRUST_DOMAIN);
    const id = { namespace: v.namespace!, serviceAccount: v['service-account']!, trustDomain };
    const errors = workloadIdErrors(id).map((e) => `mizzen workload-cert: ${flagNames(e)}`);
    const days = Number(v.days);
    if (!(days > 0) || !Number.isFinite(days)) errors.push(`mizzen workload-cert: --days: "${v.days}" must be a positive number`);
    if (errors.length > 0) throw new UsageError(errors.join('\n'));

    const ca = readMeshTrust(v['certs-dir']!, Date.now(), caCertificateRoots(mesh.value.caCertificates));
    if (!ca.ok) {
      process.stderr.write(ca.errors.map((e) => `mizzen workload-cert: ${e}\n`).join(''));
      return 1;
    }
    const cert = await issueWorkloadCert(ca.value, id, days);
    const identity = spiffeId(id.trustDomain, id.namespace, id.serviceAccount);
    if (v.secret) {
      // stdout is the manifest (the identity in a YAML comment), for kubectl apply -f -.
      process.stdout.write(`# ${identity}\n${stringify(workloadSecret(v.secret, id, cert))}`);
      return 0;
    }
    for (const f of writeWorkloadCert(v.out!, cert)) process.stdout.write(`wrote ${f}\n`);
    const sds = join(v.out!, MeshCerts.xdsClientFile);
    replaceCertFile(sds, stringify(xdsClientSds(resolve(v.out!))), false);
    process.stdout.write(`wrote ${sds}\n`);
    process.stdout.write(`identity ${identity}\n`);
    return 0;
  });
}
