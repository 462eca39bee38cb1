/**
 * `mizzen proxy-config <proxy> clusters|listeners|routes|endpoints|secrets`: the resources a connected proxy was sent
 * (as JSON, snake_case like Envoy's config dump), from /debug/config_dump on the monitoring port;
 * `envoyfilters`: each patch of the EnvoyFilters that select it and whether it changes anything, from
 * /debug/envoyfilterz.
 */
import { parseFlags, withUsage, UsageError } from './args.js';
import { Ports } from '../core/constants.js';
import { fetchDebug, Unreachable } from './proxy-status.js';

const KINDS = ['clusters', 'listeners', 'routes', 'endpoints', 'secrets', 'envoyfilters'];

const HELP = `usage: mizzen proxy-config <proxy> clusters|listeners|routes|endpoints|secrets|envoyfilters [--addr HOST:PORT]

Prints, as JSON, the resources of one type that the control plane sent a connected proxy (secrets: where its mesh
certificate files are, never their contents, which mizzen does not have); with envoyfilters,
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
    else process.stdout.write(JSON.stringify(resources.map((r) => r.resource), null, 2) + '\n');
    return 0;
  });
}
