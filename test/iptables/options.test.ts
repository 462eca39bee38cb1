import { expect } from 'chai';
import { parseArgs } from 'node:util';
import { FLAGS, resolveOptions, parseCidr, defaultOptions, type IptablesOptions } from '../../src/iptables/options.js';

/** Parses argv exactly as the command does (node's parseArgs, Istio's short and long flags). */
function parse(argv: string[]) {
  const { values } = parseArgs({ args: argv, options: FLAGS as never, strict: true });
  return resolveOptions(values as Record<string, string | boolean | undefined>);
}

describe('iptables options', () => {
  const INJECTOR = ['-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-x', '', '-b', '*', '-d', '15090,15021,15020'];

  const valid: Array<{ name: string; argv: string[]; want: Partial<IptablesOptions> }> = [
    { name: "the injector's default flags", argv: INJECTOR, want: defaultOptions() },
    {
      name: 'no flags: Istio defaults, nothing captured',
      argv: [],
      want: { proxyOutboundPort: 15001, proxyInboundPort: 15006, proxyUids: [1337], proxyGids: [1337], includeOutboundRanges: [], includeInboundPorts: [], dryRun: false },
    },
    { name: 'gid defaults to the uid list', argv: ['-u', '1337,1338'], want: { proxyUids: [1337, 1338], proxyGids: [1337, 1338] } },
    { name: 'explicit gid', argv: ['-u', '1337', '-g', '2000'], want: { proxyUids: [1337], proxyGids: [2000] } },
    {
      name: 'CIDR lists, bare addresses and spaces',
      argv: ['-i', '10.0.0.0/8, 172.16.0.0/12', '-x', '10.1.2.3'],
      want: {
        includeOutboundRanges: [
          { family: 4, address: '10.0.0.0', prefix: 8 },
          { family: 4, address: '172.16.0.0', prefix: 12 },
        ],
        excludeOutboundRanges: [{ family: 4, address: '10.1.2.3', prefix: 32 }],
        ipv6: false,
      },
    },
    { name: 'an IPv6 range turns IPv6 on', argv: ['-i', '*', '-x', 'fd00::/8'], want: { includeOutboundRanges: '*', excludeOutboundRanges: [{ family: 6, address: 'fd00::', prefix: 8 }], ipv6: true } },
    { name: 'port lists, duplicates dropped', argv: ['-b', '9080,9080,8080', '-o', '5432', '-q', '3306', '-d', ''], want: { includeInboundPorts: [9080, 8080], excludeOutboundPorts: [5432], includeOutboundPorts: [3306], excludeInboundPorts: [] } },
    {
      name: 'long flag names and --dry-run',
      argv: ['--envoy-port=16001', '--inbound-capture-port', '16006', '--istio-service-cidr=*', '--istio-inbound-ports=*', '--dry-run', '--ipv6'],
      want: { proxyOutboundPort: 16001, proxyInboundPort: 16006, includeOutboundRanges: '*', includeInboundPorts: '*', dryRun: true, ipv6: true },
    },
    { name: '-n is --dry-run', argv: ['-n'], want: { dryRun: true } },
    { name: 'excluded interfaces', argv: ['-c', 'eth1,net1'], want: { excludeInterfaces: ['eth1', 'net1'] } },
  ];
  for (const t of valid) {
    it(`accepts ${t.name}`, async () => {
      const r = parse(t.argv);
      if (!r.ok) throw new Error(r.errors.join('\n'));
      for (const [k, v] of Object.entries(t.want)) expect(r.value[k as keyof IptablesOptions], k).to.deep.equal(v);
    });
  }

  const invalid: Array<{ name: string; argv: string[]; errors: string[] }> = [
    { name: 'a prefix too long', argv: ['-i', '10.0.0.0/33'], errors: ['-i (--istio-service-cidr): "10.0.0.0/33": prefix length must be 0-32'] },
    { name: 'not an address', argv: ['-x', '10.0.0/8'], errors: ['-x (--istio-service-exclude-cidr): "10.0.0/8" is not an IP address or CIDR'] },
    { name: 'a v6 prefix too long', argv: ['-x', 'fd00::/129'], errors: ['-x (--istio-service-exclude-cidr): "fd00::/129": prefix length must be 0-128'] },
    { name: 'a port out of range', argv: ['-d', '15090,70000'], errors: ['-d (--istio-local-exclude-ports): "70000" is not a port (1-65535)'] },
    { name: 'port zero', argv: ['-b', '0'], errors: ['-b (--istio-inbound-ports): "0" is not a port (1-65535)'] },
    { name: 'a named port', argv: ['-o', 'http'], errors: ['-o (--istio-local-outbound-ports-exclude): "http" is not a port (1-65535)'] },
    { name: 'a negative include port', argv: ['--istio-include-outbound-ports=-1'], errors: ['-q (--istio-include-outbound-ports): "-1" is not a port (1-65535)'] },
    { name: 'a bad proxy port', argv: ['-p', '15001x'], errors: ['-p (--envoy-port): "15001x" is not a port (1-65535)'] },
    { name: 'a bad capture port', argv: ['-z', ''], errors: ['-z (--inbound-capture-port): "" is not a port (1-65535)'] },
    { name: 'a bad uid', argv: ['-u', 'istio'], errors: ['-u (--proxy-uid): "istio" is not a numeric id'] },
    { name: 'an empty gid', argv: ['-g', ''], errors: ['-g (--proxy-gid): must name at least one id'] },
    { name: 'TPROXY', argv: ['-m', 'TPROXY'], errors: ['-m (--istio-inbound-interception-mode): TPROXY is not supported by mizzen; use REDIRECT'] },
    { name: 'an unknown mode', argv: ['-m', 'redirect'], errors: ['-m (--istio-inbound-interception-mode): "redirect" must be REDIRECT (or TPROXY, which mizzen does not support)'] },
    { name: 'a bad interface name', argv: ['-c', 'eth0;reboot'], errors: ['-c (--exclude-interfaces): "eth0;reboot" is not an interface name'] },
    {
      name: 'several errors at once, each naming its flag',
      argv: ['-i', 'x', '-b', 'y'],
      errors: ['-i (--istio-service-cidr): "x" is not an IP address or CIDR', '-b (--istio-inbound-ports): "y" is not a port (1-65535)'],
    },
  ];
  for (const t of invalid) {
    it(`rejects ${t.name}`, async () => {
      const r = parse(t.argv);
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.errors).to.deep.equal(t.errors);
    });
  }

  it('parses CIDRs of both families', async () => {
    expect(parseCidr('0.0.0.0/0')).to.deep.equal({ ok: true, value: { family: 4, address: '0.0.0.0', prefix: 0 } });
    expect(parseCidr('::/0')).to.deep.equal({ ok: true, value: { family: 6, address: '::', prefix: 0 } });
    expect(parseCidr('::1')).to.deep.equal({ ok: true, value: { family: 6, address: '::1', prefix: 128 } });
    expect(parseCidr('10.0.0.0/x').ok).to.equal(false);
    expect(parseCidr('').ok).to.equal(false);
  });
});
