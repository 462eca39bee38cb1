/**
 * Builds the `iptables-restore` input that captures a pod's TCP traffic for its
 * sidecar, with Istio's chain names so `iptables-save` reads as it does under Istio:
 *
 *   PREROUTING ─► ISTIO_INBOUND ─► ISTIO_IN_REDIRECT (REDIRECT to -z, 15006)
 *   OUTPUT     ─► ISTIO_OUTPUT  ─► ISTIO_REDIRECT    (REDIRECT to -p, 15001)
 *
 * Pure: options in, text out. The input declares our four chains (which flushes them
 * when they already exist, with `--noflush`) and appends the jumps; the command removes
 * any earlier jumps first, so applying twice leaves one set of rules.
 */
import { type Cidr, type IptablesOptions, cidrText } from './options.js';

export const Chains = {
  inbound: 'ISTIO_INBOUND',
  inboundRedirect: 'ISTIO_IN_REDIRECT',
  output: 'ISTIO_OUTPUT',
  redirect: 'ISTIO_REDIRECT',
} as const;

export type Family = 4 | 6;

/** The jumps from the built-in chains into ours (what a re-run must delete first). */
export const JUMPS: ReadonlyArray<{ chain: 'PREROUTING' | 'OUTPUT'; rule: string[] }> = [
  { chain: 'PREROUTING', rule: ['-p', 'tcp', '-j', Chains.inbound] },
  { chain: 'OUTPUT', rule: ['-p', 'tcp', '-j', Chains.output] },
];

interface FamilyAddresses {
  /** The loopback address the app uses for itself. */
  localhost: string;
  /** Source address of Envoy's inbound passthrough connections to the app (Istio's 127.0.0.6). */
  passthroughSource: string;
}

const ADDRESSES: Record<Family, FamilyAddresses> = {
  4: { localhost: '127.0.0.1/32', passthroughSource: '127.0.0.6/32' },
  6: { localhost: '::1/128', passthroughSource: '::6/128' },
};

const inFamily = (list: Cidr[], family: Family): Cidr[] => list.filter((c) => c.family === family);

function inboundRules(o: IptablesOptions): string[] {
  const rules: string[] = [];
  const A = (rule: string) => rules.push(`-A ${Chains.inbound} ${rule}`);
  for (const i of o.excludeInterfaces) A(`-i ${i} -j RETURN`);
  if (o.includeInboundPorts === '*') {
    for (const p of o.excludeInboundPorts) A(`-p tcp --dport ${p} -j RETURN`);
    A(`-p tcp -j ${Chains.inboundRedirect}`);
  } else {
    for (const p of o.includeInboundPorts) if (!o.excludeInboundPorts.includes(p)) A(`-p tcp --dport ${p} -j ${Chains.inboundRedirect}`);
  }
  return rules;
}

function outputRules(o: IptablesOptions, family: Family): string[] {
  const { localhost, passthroughSource } = ADDRESSES[family];
  const rules: string[] = [];
  const A = (rule: string) => rules.push(`-A ${Chains.output} ${rule}`);
  const owners = [...o.proxyUids.map((id) => `--uid-owner ${id}`), ...o.proxyGids.map((id) => `--gid-owner ${id}`)];

  for (const i of o.excludeInterfaces) A(`-o ${i} -j RETURN`);
  for (const p of o.excludeOutboundPorts) A(`-p tcp --dport ${p} -j RETURN`);
  // Envoy's inbound passthrough connections to the app come from this source: leave them alone.
  A(`-o lo -s ${passthroughSource} -j RETURN`);
  // The proxy calling its own pod's IP (a service that resolves to this very pod) travels over
  // loopback: send it to the inbound listener so inbound policy applies, as Istio does.
  if (o.includeInboundPorts === '*' || o.includeInboundPorts.length > 0) {
    for (const owner of owners) A(`-o lo ! -d ${localhost} -m owner ${owner} -j ${Chains.inboundRedirect}`);
  }
  // Everything else the proxy sends goes where it was addressed.
  for (const owner of owners) A(`-m owner ${owner} -j RETURN`);
  // The application talking to itself over loopback (localhost or its own pod IP) is not captured.
  A(`-o lo -j RETURN`);
  for (const p of o.includeOutboundPorts) A(`-p tcp --dport ${p} -j ${Chains.redirect}`);
  A(`-d ${localhost} -j RETURN`);
  for (const c of inFamily(o.excludeOutboundRanges, family)) A(`-d ${cidrText(c)} -j RETURN`);
  if (o.includeOutboundRanges === '*') A(`-j ${Chains.redirect}`);
  else for (const c of inFamily(o.includeOutboundRanges, family)) A(`-d ${cidrText(c)} -j ${Chains.redirect}`);
  return rules;
}

/** Whether this family has anything to capture at all (an IPv6 rule set with no v6 range and no port rules is empty). */
function capturesOutbound(o: IptablesOptions, family: Family): boolean {
  return o.includeOutboundRanges === '*' || inFamily(o.includeOutboundRanges, family).length > 0 || o.includeOutboundPorts.length > 0;
}

function capturesInbound(o: IptablesOptions): boolean {
  return o.includeInboundPorts === '*' || o.includeInboundPorts.some((p) => !o.excludeInboundPorts.includes(p));
}

/** The `iptables-restore` (family 4) or `ip6tables-restore` (family 6) input for these options. */
export function buildRules(o: IptablesOptions, family: Family = 4): string {
  const lines: string[] = [];
  const uids = o.proxyUids.join(',');
  const gids = o.proxyGids.join(',');
  lines.push(
    `# mizzen iptables (IPv${family}): outbound -> ${o.proxyOutboundPort}, inbound -> ${o.proxyInboundPort}, proxy uid ${uids} gid ${gids}, mode ${o.mode}`,
    '*nat',
    `:${Chains.inbound} - [0:0]`,
    `:${Chains.inboundRedirect} - [0:0]`,
    `:${Chains.output} - [0:0]`,
    `:${Chains.redirect} - [0:0]`,
    `-A ${Chains.redirect} -p tcp -j REDIRECT --to-ports ${o.proxyOutboundPort}`,
    `-A ${Chains.inboundRedirect} -p tcp -j REDIRECT --to-ports ${o.proxyInboundPort}`,
  );
  if (capturesInbound(o)) {
    lines.push(`-A PREROUTING ${JUMPS[0]!.rule.join(' ')}`, ...inboundRules(o));
  }
  if (capturesOutbound(o, family) || capturesInbound(o)) {
    lines.push(`-A OUTPUT ${JUMPS[1]!.rule.join(' ')}`, ...outputRules(o, family));
  }
  lines.push('COMMIT', '');
  return lines.join('\n');
}
