/** bench:xds refuses bad flags with one line and its usage (exit 2), and --help prints the usage (exit 0), before any work. */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { REPO_ROOT } from '../support/cli.js';

const bench = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'bench/xds.ts', ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });

describe('bench:xds flags', function () {
  this.timeout(40_000);
  it('an unknown flag: exit 2, the flag and the usage, no stack trace', () => {
    const r = bench('--bogus');
    expect(r.status).to.equal(2);
    expect(r.stderr).to.include("Unknown option '--bogus'").and.include('usage: npm run bench:xds').and.not.include('    at ');
  });
  it('a flag that is not a number: exit 2 naming it', () => {
    const r = bench('--proxies', 'many');
    expect(r.status).to.equal(2);
    expect(r.stderr).to.include('--proxies: "many" is not a number');
  });
  it('--help prints the usage and exits 0', () => {
    const r = bench('--help');
    expect(r.status).to.equal(0);
    expect(r.stdout).to.include('--rounds N');
  });
});
