import { expect } from 'chai';
import { run } from '../../src/cmd/iptables.js';
import { buildRules } from '../../src/iptables/rules.js';
import { defaultOptions } from '../../src/iptables/options.js';
import { captureOutput } from '../support/cli.js';

/** Runs the command with stdout and stderr captured (the command writes with process.*.write). */
const capture = (argv: string[]) => captureOutput(() => run(argv));

const INJECTOR = ['-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-x', '', '-b', '*', '-d', '15090,15021,15020'];

describe('mizzen iptables (command)', () => {
  it('--dry-run prints the rules and changes nothing', async () => {
    const r = await capture([...INJECTOR, '--dry-run']);
    expect(r.code).to.equal(0);
    expect(r.out).to.equal(buildRules(defaultOptions({ dryRun: true })));
    expect(r.err).to.equal('');
  });
  it('--dry-run --ipv6 prints both families', async () => {
    const r = await capture([...INJECTOR, '-n', '--ipv6']);
    expect(r.code).to.equal(0);
    expect(r.out).to.contain('(IPv4)').and.contain('(IPv6)').and.contain('::1/128');
  });
  it('--help prints the flags', async () => {
    const r = await capture(['--help']);
    expect(r.code).to.equal(0);
    expect(r.out).to.contain('-i, --istio-service-cidr');
  });

  const bad: Array<{ argv: string[]; message: string }> = [
    { argv: ['-i', '10.0.0.0/99', '-n'], message: '-i (--istio-service-cidr): "10.0.0.0/99": prefix length must be 0-32' },
    { argv: ['-d', '15090,abc', '-n'], message: '-d (--istio-local-exclude-ports): "abc" is not a port' },
    { argv: ['-m', 'TPROXY', '-n'], message: 'TPROXY is not supported' },
    { argv: ['--no-such-flag'], message: "Unknown option '--no-such-flag'" },
    { argv: ['-x', '-n'], message: "Option '-x' argument is ambiguous" },
    { argv: ['stray'], message: "Unexpected argument 'stray'" },
  ];
  for (const t of bad) {
    it(`exits 2 naming the flag: ${t.argv.join(' ')}`, async () => {
      const r = await capture(t.argv);
      expect(r.code).to.equal(2);
      expect(r.err).to.contain(t.message);
      expect(r.out).to.equal('');
    });
  }
});
