/** `mizzen certs [--out DIR] [--force]`: the webhook serving certificate, its CA, and the mesh CA, generated with selfsigned. */
import { parseFlags, withUsage } from './args.js';
import { generateAll, hasServingMaterial, webhookNames, writeCerts } from '../certs/index.js';
import { Defaults } from '../core/constants.js';

const HELP = `usage: mizzen certs [--out DIR] [--force] [--service NAME] [--namespace NS]

Generates, with a fresh CA, the webhook serving certificate (tls.crt, tls.key, ca.crt: the names of a
Kubernetes TLS Secret; ca.crt is the webhook caBundle) and the mesh CA (mesh-ca.crt, mesh-ca.key).
SANs: <service>.<namespace>.svc, its .cluster.local form, localhost, 127.0.0.1.

  --out DIR         where to write (default certs/)
  --force           overwrite existing files (default: keep them and say so)
  --service NAME    webhook Service name (default ${Defaults.serviceName})
  --namespace NS    control-plane namespace (default ${Defaults.controlPlaneNamespace})
`;

export async function run(argv: string[]): Promise<number> {
  return withUsage(HELP, argv, async () => {
    const { values } = parseFlags(argv, {
      out: { type: 'string', default: 'certs' },
      force: { type: 'boolean', default: false },
      service: { type: 'string', default: Defaults.serviceName },
      namespace: { type: 'string', default: Defaults.controlPlaneNamespace },
    });
    const out = values.out!;
    if (hasServingMaterial(out) && !values.force) {
      process.stdout.write(`${out}: certificates already present (use --force to replace them)\n`);
      return 0;
    }
    const certs = await generateAll(webhookNames(values.service, values.namespace));
    for (const f of writeCerts(out, certs)) process.stdout.write(`wrote ${f}\n`);
    return 0;
  });
}
