/**
 * `mizzen iptables`: the istio-init container's entry point. Istio's istio-iptables flags
 * in, `iptables-restore` input out (`--dry-run` prints it); otherwise the rules are applied
 * in the current network namespace. Bad flags exit 2 naming the flag; a failed apply exits 1.
 */
import { spawnSync } from 'node:child_process';
import { parseFlags, withUsage, UsageError } from './args.js';
import { FLAGS, resolveOptions, type IptablesOptions } from '../iptables/options.js';
import { buildRules, JUMPS, type Family } from '../iptables/rules.js';

const HELP = `usage: mizzen iptables [flags]

Captures the pod's TCP traffic for its sidecar (Istio's istio-iptables flags).

  -p, --envoy-port PORT                          outbound capture port (15001)
  -z, --inbound-capture-port PORT                inbound capture port (15006)
  -u, --proxy-uid UID[,UID]                      the proxy's uid, never redirected (1337)
  -g, --proxy-gid GID[,GID]                      the proxy's gid, never redirected (same as -u)
  -m, --istio-inbound-interception-mode MODE     REDIRECT (TPROXY is not supported)
  -i, --istio-service-cidr '*'|CIDR,...          outbound ranges to redirect (empty: none)
  -x, --istio-service-exclude-cidr CIDR,...      outbound ranges never redirected
  -b, --istio-inbound-ports '*'|PORT,...         inbound ports to redirect (empty: none)
  -d, --istio-local-exclude-ports PORT,...       inbound ports never redirected
  -o, --istio-local-outbound-ports-exclude PORT,...  outbound ports never redirected
  -q, --istio-include-outbound-ports PORT,...    outbound ports always redirected
  -c, --exclude-interfaces IF,...                interfaces never redirected
  -n, --dry-run                                  print the iptables-restore input, change nothing
      --ipv6                                     also apply the IPv6 rules (on when a v6 CIDR is given)

example (what the injector runs):
  mizzen iptables -p 15001 -z 15006 -u 1337 -m REDIRECT -i '*' -x "" -b '*' -d 15090,15021,15020
`;

const TOOLS: Record<Family, { cmd: string; restore: string }> = {
  4: { cmd: 'iptables', restore: 'iptables-restore' },
  6: { cmd: 'ip6tables', restore: 'ip6tables-restore' },
};

/** Removes jumps left by an earlier run (a restarted init container), so a re-run does not stack them. */
function removeOldJumps(family: Family): void {
  for (const { chain, rule } of JUMPS) {
    for (let i = 0; i < 64; i++) {
      const r = spawnSync(TOOLS[family].cmd, ['-w', '-t', 'nat', '-D', chain, ...rule], { stdio: 'ignore' });
      if (r.status !== 0) break;
    }
  }
}

function apply(rules: string, family: Family): string | undefined {
  removeOldJumps(family);
  const r = spawnSync(TOOLS[family].restore, ['-w', '--noflush'], { input: rules, encoding: 'utf8' });
  if (r.error) return `${TOOLS[family].restore}: ${r.error.message}`;
  if (r.status !== 0) return `${TOOLS[family].restore} exited ${r.status}: ${(r.stderr || r.stdout).trim()}`;
  return undefined;
}

function resolve(argv: string[]): IptablesOptions {
  const { values } = parseFlags(argv, FLAGS as unknown as Parameters<typeof parseFlags>[1]);
  const r = resolveOptions(values as Record<string, string | boolean | undefined>);
  if (!r.ok) throw new UsageError(r.errors.map((e) => `mizzen iptables: ${e}`).join('\n'));
  return r.value;
}

export async function run(argv: string[]): Promise<number> {
  return withUsage(HELP, argv, async () => {
    const opts = resolve(argv);
    const families: Family[] = opts.ipv6 ? [4, 6] : [4];
    for (const family of families) {
      const rules = buildRules(opts, family);
      process.stdout.write(rules);
      if (opts.dryRun) continue;
      const err = apply(rules, family);
      if (err) {
        process.stderr.write(`mizzen iptables: applying the IPv${family} rules failed: ${err}\n`);
        return 1;
      }
    }
    if (!opts.dryRun) process.stdout.write(`mizzen iptables: rules applied (${families.map((f) => `IPv${f}`).join(', ')})\n`);
    return 0;
  });
}
