import { expect } from 'chai';
import { readFileSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildRules, Chains, type Family } from '../../src/iptables/rules.js';
import { defaultOptions, parseCidr, type Cidr, type IptablesOptions } from '../../src/iptables/options.js';

const TESTDATA = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const used = new Set<string>();

/** Compares with testdata/NAME; UPDATE_GOLDEN=1 rewrites it. */
function expectGolden(name: string, actual: string): void {
  used.add(name);
  const file = join(TESTDATA, name);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
    if (process.env.UPDATE_GOLDEN !== '1') throw new Error(`golden ${name} missing: run with UPDATE_GOLDEN=1`);
    writeFileSync(file, actual);
    return;
  }
  expect(actual, `golden ${name} (UPDATE_GOLDEN=1 rewrites it)`).to.equal(readFileSync(file, 'utf8'));
}

const cidrs = (...list: string[]): Cidr[] =>
  list.map((s) => {
    const r = parseCidr(s);
    if (!r.ok) throw new Error(r.errors.join());
    return r.value;
  });

describe('iptables rules', () => {
  const cases: Array<{ golden: string; opts: IptablesOptions; family?: Family }> = [
    { golden: 'injector-default.rules', opts: defaultOptions() },
    { golden: 'injector-default-ipv6.rules', opts: defaultOptions({ ipv6: true }), family: 6 },
    { golden: 'nothing-captured.rules', opts: defaultOptions({ includeOutboundRanges: [], includeInboundPorts: [] }) },
    { golden: 'outbound-only.rules', opts: defaultOptions({ includeInboundPorts: [], excludeInboundPorts: [] }) },
    {
      golden: 'outbound-ranges-and-ports.rules',
      opts: defaultOptions({
        includeOutboundRanges: cidrs('10.0.0.0/8', '172.16.0.0/12', 'fd00::/8'),
        excludeOutboundRanges: cidrs('10.96.0.10/32', 'fd00:1::/64'),
        includeOutboundPorts: [3306],
        excludeOutboundPorts: [5432, 6379],
      }),
    },
    {
      golden: 'outbound-ranges-and-ports-ipv6.rules',
      opts: defaultOptions({
        includeOutboundRanges: cidrs('10.0.0.0/8', '172.16.0.0/12', 'fd00::/8'),
        excludeOutboundRanges: cidrs('10.96.0.10/32', 'fd00:1::/64'),
        includeOutboundPorts: [3306],
        excludeOutboundPorts: [5432, 6379],
      }),
      family: 6,
    },
    { golden: 'inbound-port-list.rules', opts: defaultOptions({ includeInboundPorts: [9080, 9443, 15090], excludeInboundPorts: [9443] }) },
    {
      golden: 'custom-ports-ids-interfaces.rules',
      opts: defaultOptions({ proxyOutboundPort: 16001, proxyInboundPort: 16006, proxyUids: [1337, 1338], proxyGids: [2000], excludeInterfaces: ['net1'] }),
    },
  ];
  for (const t of cases) {
    it(`builds ${t.golden}`, async () => {
      const text = buildRules(t.opts, t.family ?? 4);
      expectGolden(t.golden, text);
      // Whatever the options: one nat table, committed, and every jump goes to a declared chain.
      expect(text.match(/^\*nat$/gm)).to.have.length(1);
      expect(text.endsWith('COMMIT\n')).to.equal(true);
      const declared = new Set([...text.matchAll(/^:(\S+) /gm)].map((m) => m[1]));
      for (const m of text.matchAll(/-j (ISTIO_\S+)/g)) expect(declared.has(m[1]), m[1]).to.equal(true);
    });
  }

  const order: Array<{ name: string; opts: IptablesOptions; before: Array<[string, string]> }> = [
    {
      name: "the proxy's own traffic returns before anything is redirected",
      opts: defaultOptions({ includeOutboundPorts: [3306] }),
      before: [
        ['-m owner --uid-owner 1337 -j RETURN', `--dport 3306 -j ${Chains.redirect}`],
        ['-m owner --gid-owner 1337 -j RETURN', `-A ${Chains.output} -j ${Chains.redirect}`],
      ],
    },
    {
      name: 'loopback returns before the catch-all redirect',
      opts: defaultOptions(),
      before: [[`-A ${Chains.output} -o lo -j RETURN`, `-A ${Chains.output} -j ${Chains.redirect}`]],
    },
    {
      name: 'excluded ranges return before included ranges redirect',
      opts: defaultOptions({ includeOutboundRanges: cidrs('10.0.0.0/8'), excludeOutboundRanges: cidrs('10.96.0.0/12') }),
      before: [['-d 10.96.0.0/12 -j RETURN', `-d 10.0.0.0/8 -j ${Chains.redirect}`]],
    },
    {
      name: 'excluded outbound ports return first',
      opts: defaultOptions({ excludeOutboundPorts: [5432] }),
      before: [[`-A ${Chains.output} -p tcp --dport 5432 -j RETURN`, `-o lo -s 127.0.0.6/32 -j RETURN`]],
    },
    {
      name: 'excluded inbound ports return before the inbound redirect',
      opts: defaultOptions(),
      before: [[`-A ${Chains.inbound} -p tcp --dport 15021 -j RETURN`, `-A ${Chains.inbound} -p tcp -j ${Chains.inboundRedirect}`]],
    },
  ];
  for (const t of order) {
    it(`orders: ${t.name}`, async () => {
      const text = buildRules(t.opts);
      for (const [first, second] of t.before) {
        const a = text.indexOf(first);
        const b = text.indexOf(second);
        expect(a, first).to.be.greaterThan(-1);
        expect(b, second).to.be.greaterThan(-1);
        expect(a, `${first} before ${second}`).to.be.lessThan(b);
      }
    });
  }

  it('keeps each family to its own ranges', async () => {
    const opts = defaultOptions({ includeOutboundRanges: cidrs('10.0.0.0/8', 'fd00::/8') });
    expect(buildRules(opts, 4)).to.contain('10.0.0.0/8').and.not.contain('fd00::/8');
    expect(buildRules(opts, 6)).to.contain('fd00::/8').and.not.contain('10.0.0.0/8');
  });

  it('has no unused golden files', async () => {
    const files = readdirSync(TESTDATA).filter((f) => f.endsWith('.rules'));
    expect(files.filter((f) => !used.has(f)), 'unused goldens').to.deep.equal([]);
  });
});
