/**
 * `mizzen proxy-config <proxy> clusters|listeners|routes|endpoints|secrets`: the resources a connected proxy was sent
 * (as JSON, snake_case like Envoy's config dump), from /debug/config_dump on the monitoring port;
 * `envoyfilters`: each patch of the EnvoyFilters that select it and whether it changes anything, from
 * /debug/envoyfilterz.
 *
 * It never prints a private key, even from a server that sent one: inline keys show as Envoy's config dump shows
 * them, `{ inline_string: '[redacted]' }`. Inline certificates (a gateway's credentialName) show as what
 * `istioctl proxy-config secret` tells of them: subject, SANs, serial, validity, instead of their bytes.
 */
import { X509Certificate } from 'node:crypto';
import { parseFlags, withUsage, UsageError } from './args.js';
import { Ports } from '../core/constants.js';
import { redactPrivateKeys, replaceUnder } from '../xds/debug.js';
import { fetchDebug, Unreachable } from './proxy-status.js';

const KINDS = ['clusters', 'listeners', 'routes', 'endpoints', 'secrets', 'envoyfilters'];

const HELP = `usage: mizzen proxy-config <proxy> clusters|listeners|routes|endpoints|secrets|envoyfilters [--addr HOST:PORT]

Prints, as JSON, the resources of one type that the control plane sent a connected proxy (secrets: where its mesh
certificate files are; for a gateway's credentialName, each certificate's subject, SANs, serial and validity,
never a private key); with envoyfilters,
each patch of the EnvoyFilters that select it: applied, unmatched (its match finds nothing) or skipped (and why).
<proxy> is the node id, pod.namespace, or the pod name when unique (see mizzen proxy-status).

  --addr HOST:PORT   the control plane's monitoring address (default 127.0.0.1:${Ports.monitoring})
  --names            print only the resource names (envoyfilters: filter#patch and status), one per line
`;

export async function run(argv: string[]): Promise<number> {
  return withUsage(HELP, argv, async () => {
    const { values, positionals } = parseFlags(argv, { addr: { type: 'string', default: `127.0.0.1:${Ports.monitoring}` }, names: { type: 'boolean', default: false } }, true);
    const [proxy, kind] = positionals;
    if (!proxy || !kind || positionals.length > 2) throw new UsageError(`expected <proxy> and one of ${KINDS.join(', ')}`);
    if (!KINDS.includes(kind)) throw new UsageError(`"${kind}" is not one of ${KINDS.join(', ')}`);
    let dump: any;
    try {
      const path = kind === 'envoyfilters' ? `/debug/envoyfilterz?proxy=${encodeURIComponent(proxy)}` : `/debug/config_dump?proxy=${encodeURIComponent(proxy)}&type=${kind}`;
      dump = await fetchDebug(values.addr!, path);
    } catch (e) {
      if (!(e instanceof Unreachable)) throw e;
      process.stderr.write(`mizzen proxy-config: ${e.message}\n`);
      return 1;
    }
    if (dump?.error) {
      const known = Array.isArray(dump.proxies) && dump.proxies.length ? `\nconnected: ${dump.proxies.join(', ')}` : '';
      process.stderr.write(`mizzen proxy-config: ${dump.error}${known}\n`);
      return 1;
    }
    if (kind === 'envoyfilters') {
      const patches: Array<{ filter: string; index: number; status: string; reason?: string }> = dump?.patches ?? [];
      if (values.names) process.stdout.write(patches.map((p) => `${p.filter}#${p.index} ${p.status}${p.reason ? `: ${p.reason}` : ''}\n`).join(''));
      else process.stdout.write(JSON.stringify(patches, null, 2) + '\n');
      return 0;
    }
    const resources: Array<{ name: string; resource: unknown }> = dump?.configs?.[0]?.resources ?? [];
    if (values.names) process.stdout.write(resources.map((r) => r.name).join('\n') + (resources.length ? '\n' : ''));
    else process.stdout.write(JSON.stringify(resources.map((r) => displayResource(r.resource)), null, 2) + '\n');
    return 0;
  });
}

/** Fields that hold certificates (a chain, a CA bundle). */
const CERT_FIELDS = new Set(['certificate_chain', 'trusted_ca']);

export interface CertificateSummary {
  subject: string;
  issuer: string;
  serial_number: string;
  subject_alt_names: string[];
  not_before: string;
  not_after: string;
  /** Within its validity period now (istioctl's VALID CERT). */
  valid: boolean;
}

const iso = (text: string): string => {
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? text : d.toISOString();
};

/** The certificates of an inline DataSource (PEM, base64 PEM or DER bytes), or why they cannot be read. */
export function summarizeCertificates(source: Record<string, unknown>, now = new Date()): { certificates: CertificateSummary[] } | { error: string; bytes: number } {
  const raw = typeof source.inline_string === 'string' ? Buffer.from(source.inline_string, 'utf8') : typeof source.inline_bytes === 'string' ? Buffer.from(source.inline_bytes, 'base64') : Buffer.alloc(0);
  const blocks = raw.toString('utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [raw];
  try {
    return {
      certificates: blocks.map((b) => {
        const c = new X509Certificate(b);
        const [from, to] = [iso(c.validFrom), iso(c.validTo)];
        return {
          subject: c.subject.split('\n').join(', '),
          issuer: c.issuer.split('\n').join(', '),
          serial_number: c.serialNumber.toLowerCase(),
          subject_alt_names: c.subjectAltName ? c.subjectAltName.split(', ') : [],
          not_before: from,
          not_after: to,
          valid: now >= new Date(from) && now <= new Date(to),
        };
      }),
    };
  } catch (e) {
    return { error: `not a certificate: ${(e as Error).message}`, bytes: raw.length };
  }
}

/** What proxy-config prints of a resource: inline private keys redacted, inline certificates summarized, files as they are. */
export function displayResource(resource: unknown, now = new Date()): unknown {
  const inline = (v: Record<string, unknown>) => typeof v.inline_bytes === 'string' || typeof v.inline_string === 'string';
  return replaceUnder(redactPrivateKeys(resource), CERT_FIELDS, (v) => (inline(v) ? summarizeCertificates(v, now) : undefined));
}
