/**
 * The generated rules applied for real: a "pod" network namespace and a "peer" one,
 * joined by a veth pair, listeners on 15001 / 15006 that say which one accepted, and
 * clients run as the app, as the proxy (uid or gid 1337), and from the peer.
 * Addresses exist only inside the namespaces created here and are never routed out.
 * Needs root, `ip`, `iptables-restore` and `setpriv`; skips with a message otherwise.
 */
import { expect } from 'chai';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const LISTEN = `
import { createServer } from 'node:net';
const specs = process.argv.slice(2).map((s) => s.split('='));
let pending = specs.length;
for (const [port, label] of specs) {
  createServer((sock) => { sock.on('error', () => {}); sock.end(label + '\\n'); })
    .listen(Number(port), '0.0.0.0', () => { if (--pending === 0) process.stdout.write('ready\\n'); });
}
`;

const CONNECT = `
import { connect } from 'node:net';
const [host, port, localAddress] = process.argv.slice(2);
let data = '';
const done = (s) => { process.stdout.write(s + '\\n'); process.exit(0); };
const sock = connect({ host, port: Number(port), ...(localAddress ? { localAddress } : {}) });
sock.setTimeout(5000, () => done('ERR:TIMEOUT'));
sock.on('data', (d) => (data += d));
sock.on('end', () => done(data.trim()));
sock.on('error', (e) => done('ERR:' + (e.code ?? e.message)));
`;

function have(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Namespaces left by an earlier run of this test that was killed (its pid is gone). */
function removeStaleNamespaces(): void {
  let list = '';
  try {
    list = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  } catch {
    return;
  }
  for (const m of list.matchAll(/^(mz(?:pod|peer)-(\d+)-\w+)/gm)) {
    try {
      process.kill(Number(m[2]), 0);
      continue; // still running: not ours to remove
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') continue;
    }
    try {
      execFileSync('ip', ['netns', 'del', m[1]!], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  }
}

const run = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function runAsync(cmd: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(cmd, args, { cwd, encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('iptables rules in network namespaces (as root)', function () {
  this.timeout(60_000);
  const tag = `${process.pid % 100000}${randomBytes(2).toString('hex')}`;
  const POD = `mzpod-${process.pid}-${tag}`;
  const PEER = `mzpeer-${process.pid}-${tag}`;
  const VPOD = `mzp${tag}`.slice(0, 15);
  const VPEER = `mzq${tag}`.slice(0, 15);
  const POD_IP = '10.250.7.2';
  const PEER_IP = '10.250.7.1';
  /** On the peer's loopback: reachable from the pod through its default route, for range exclusions. */
  const PEER_EXTRA_IP = '198.18.1.1';
  /** Owned by nobody: a connection there succeeds only if it is redirected to the proxy. */
  const NOWHERE_IP = '198.18.0.1';

  const namespaces: string[] = [];
  const listeners: ChildProcess[] = [];
  let dir = '';

  const LABEL = { outbound: 'proxy-outbound-15001', inbound: 'proxy-inbound-15006', app: 'app-9080', stats: 'stats-15090', peer: 'peer' };

  function startListeners(ns: string, specs: string[]): Promise<void> {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, join(dir, 'listen.mjs'), ...specs], { stdio: ['ignore', 'pipe', 'inherit'] });
    listeners.push(child);
    return new Promise((ready, failed) => {
      child.once('error', failed);
      child.once('exit', (code) => failed(new Error(`listener in ${ns} exited ${code}`)));
      createInterface({ input: child.stdout! }).once('line', () => ready());
    });
  }

  /** Connects from a namespace (optionally as another uid/gid) and returns what answered. */
  async function probe(ns: string, host: string, port: number, ids?: { uid: number; gid: number }, localAddress?: string): Promise<string> {
    const node = [process.execPath, join(dir, 'connect.mjs'), host, String(port), ...(localAddress ? [localAddress] : [])];
    const as = ids ? ['setpriv', `--reuid=${ids.uid}`, `--regid=${ids.gid}`, '--clear-groups'] : [];
    const r = await runAsync('ip', ['netns', 'exec', ns, ...as, ...node], dir);
    if (r.code !== 0) throw new Error(`probe ${ns} ${host}:${port} failed: ${r.stderr}`);
    return r.stdout.trim();
  }

  async function applyRules(flags: string[]): Promise<string> {
    const r = await runAsync('ip', ['netns', 'exec', POD, process.execPath, '--import', 'tsx', join(REPO, 'src/cli.ts'), 'iptables', ...flags], REPO);
    if (r.code !== 0) throw new Error(`mizzen iptables exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  }

  before(async function () {
    const missing = ['ip', 'iptables-restore', 'iptables-save', 'setpriv'].filter((c) => !have(c));
    const why =
      process.getuid?.() !== 0 ? 'not running as root' : missing.length > 0 ? `missing ${missing.join(', ')}` : undefined;
    if (why) {
      console.log(`    (skipping the network-namespace iptables test: ${why})`);
      this.skip();
    }
    removeStaleNamespaces();
    try {
      run('ip', ['netns', 'add', POD]);
      namespaces.push(POD);
    } catch (e) {
      console.log(`    (skipping the network-namespace iptables test: cannot create a network namespace: ${(e as Error).message.split('\n')[0]})`);
      this.skip();
    }
    run('ip', ['netns', 'add', PEER]);
    namespaces.push(PEER);
    const inPod = (...a: string[]) => run('ip', ['-n', POD, ...a]);
    const inPeer = (...a: string[]) => run('ip', ['-n', PEER, ...a]);
    run('ip', ['link', 'add', VPOD, 'netns', POD, 'type', 'veth', 'peer', 'name', VPEER, 'netns', PEER]);
    inPod('link', 'set', 'lo', 'up');
    inPeer('link', 'set', 'lo', 'up');
    inPod('addr', 'add', `${POD_IP}/24`, 'dev', VPOD);
    inPeer('addr', 'add', `${PEER_IP}/24`, 'dev', VPEER);
    inPeer('addr', 'add', `${PEER_EXTRA_IP}/32`, 'dev', 'lo');
    inPod('link', 'set', VPOD, 'up');
    inPeer('link', 'set', VPEER, 'up');
    inPod('route', 'add', 'default', 'via', PEER_IP);

    dir = mkdtempSync(join(tmpdir(), 'mizzen-netns-'));
    chmodSync(dir, 0o755); // the proxy uid (1337) runs the client script from here
    writeFileSync(join(dir, 'listen.mjs'), LISTEN, { mode: 0o644 });
    writeFileSync(join(dir, 'connect.mjs'), CONNECT, { mode: 0o644 });

    await startListeners(POD, [`15001=${LABEL.outbound}`, `15006=${LABEL.inbound}`, `9080=${LABEL.app}`, `15090=${LABEL.stats}`]);
    await startListeners(PEER, [`80=${LABEL.peer}`, `5432=${LABEL.peer}`]);
    // Before any rule: everything goes where it was addressed.
    expect(await probe(POD, PEER_IP, 80)).to.equal(LABEL.peer);
  });

  /** Synchronous, so it also runs from a process 'exit' handler if the run is cut short. */
  function cleanup(): void {
    for (const l of listeners) if (l.exitCode === null) l.kill('SIGKILL');
    listeners.length = 0;
    for (const ns of namespaces.splice(0)) {
      try {
        run('ip', ['netns', 'del', ns]); // deleting a namespace deletes its end of the veth pair too
      } catch (e) {
        console.log(`    (cleanup: ip netns del ${ns}: ${(e as Error).message.split('\n')[0]})`);
      }
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = '';
  }
  process.once('exit', cleanup);

  after(async () => {
    cleanup();
    process.removeListener('exit', cleanup);
  });

  type Probe = { name: string; from: 'pod' | 'peer'; host: string; port: number; ids?: { uid: number; gid: number }; source?: string; want: string };
  const APP = { uid: 1000, gid: 1000 };

  describe('the injector defaults, with exclusions', () => {
    before(async () => {
      const out = await applyRules(['-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-x', '198.18.1.0/24', '-b', '*', '-d', '15090,15021,15020', '-o', '5432']);
      expect(out).to.contain('rules applied');
    });
    const probes: Probe[] = [
      { name: 'outbound to a peer lands on 15001', from: 'pod', host: PEER_IP, port: 80, want: LABEL.outbound },
      { name: 'outbound to an address nobody owns lands on 15001', from: 'pod', host: NOWHERE_IP, port: 443, want: LABEL.outbound },
      { name: 'outbound from an app uid lands on 15001', from: 'pod', host: PEER_IP, port: 80, ids: APP, want: LABEL.outbound },
      { name: 'outbound from uid 1337 is not redirected', from: 'pod', host: PEER_IP, port: 80, ids: { uid: 1337, gid: 1337 }, want: LABEL.peer },
      { name: 'outbound from gid 1337 is not redirected', from: 'pod', host: PEER_IP, port: 80, ids: { uid: 2000, gid: 1337 }, want: LABEL.peer },
      { name: 'an excluded outbound range is not redirected', from: 'pod', host: PEER_EXTRA_IP, port: 80, want: LABEL.peer },
      { name: 'an excluded outbound port is not redirected', from: 'pod', host: PEER_IP, port: 5432, want: LABEL.peer },
      { name: 'loopback to 127.0.0.1 is not redirected', from: 'pod', host: '127.0.0.1', port: 9080, want: LABEL.app },
      { name: "the app calling its own pod IP is not redirected", from: 'pod', host: POD_IP, port: 9080, want: LABEL.app },
      { name: "the proxy calling its own pod IP goes to inbound 15006", from: 'pod', host: POD_IP, port: 9080, ids: { uid: 1337, gid: 1337 }, want: LABEL.inbound },
      // How its inbound clusters and rewritten probes (bootstrap app-health clusters) reach the application.
      { name: 'the proxy calling its own pod IP from 127.0.0.6 reaches the app', from: 'pod', host: POD_IP, port: 9080, ids: { uid: 1337, gid: 1337 }, source: '127.0.0.6', want: LABEL.app },
      { name: 'the proxy calling 127.0.0.1 is not redirected', from: 'pod', host: '127.0.0.1', port: 9080, ids: { uid: 1337, gid: 1337 }, want: LABEL.app },
      { name: 'inbound to a pod port lands on 15006', from: 'peer', host: POD_IP, port: 9080, want: LABEL.inbound },
      { name: 'inbound to an excluded port (15090) is not redirected', from: 'peer', host: POD_IP, port: 15090, want: LABEL.stats },
    ];
    for (const p of probes) {
      it(p.name, async () => {
        expect(await probe(p.from === 'pod' ? POD : PEER, p.host, p.port, p.ids, p.source)).to.equal(p.want);
      });
    }
  });

  describe('re-applied with include lists (replaces the first rules)', () => {
    before(async () => {
      await applyRules(['-u', '1337', '-m', 'REDIRECT', '-i', '10.250.7.0/24', '-x', '', '-b', '9080', '-d', '', '-q', '5432']);
    });
    const probes: Probe[] = [
      { name: 'outbound inside an included range lands on 15001', from: 'pod', host: PEER_IP, port: 80, want: LABEL.outbound },
      { name: 'outbound outside the included ranges is not redirected', from: 'pod', host: PEER_EXTRA_IP, port: 80, want: LABEL.peer },
      { name: 'an included outbound port is redirected whatever the range', from: 'pod', host: PEER_EXTRA_IP, port: 5432, want: LABEL.outbound },
      { name: 'an included inbound port lands on 15006', from: 'peer', host: POD_IP, port: 9080, want: LABEL.inbound },
      { name: 'an inbound port not in the list is not redirected', from: 'peer', host: POD_IP, port: 15090, want: LABEL.stats },
    ];
    for (const p of probes) {
      it(p.name, async () => {
        expect(await probe(p.from === 'pod' ? POD : PEER, p.host, p.port, p.ids)).to.equal(p.want);
      });
    }
    it('leaves one jump per built-in chain and none of the old rules', async () => {
      const saved = run('ip', ['netns', 'exec', POD, 'iptables-save', '-t', 'nat']);
      expect(saved.match(/^-A PREROUTING -p tcp -j ISTIO_INBOUND$/gm)).to.have.length(1);
      expect(saved.match(/^-A OUTPUT -p tcp -j ISTIO_OUTPUT$/gm)).to.have.length(1);
      expect(saved).not.to.contain('198.18.1.0/24');
      expect(saved).to.contain('-A ISTIO_OUTPUT -d 10.250.7.0/24 -j ISTIO_REDIRECT');
    });
  });

  describe('IPv6 (--ipv6)', () => {
    it('loads the IPv6 rules with ip6tables-restore as well', async function () {
      if (!have('ip6tables-save')) {
        console.log('    (skipping: ip6tables-save is missing)');
        this.skip();
      }
      const out = await applyRules(['-i', '*', '-b', '*', '-d', '15090,15021,15020', '--ipv6']);
      expect(out).to.contain('rules applied (IPv4, IPv6)');
      const saved = run('ip', ['netns', 'exec', POD, 'ip6tables-save', '-t', 'nat']);
      expect(saved).to.contain('-A ISTIO_OUTPUT -s ::6/128 -o lo -j RETURN'); // iptables-save puts -s before -o
      expect(saved).to.contain('-A ISTIO_OUTPUT -j ISTIO_REDIRECT');
      expect(saved.match(/^-A OUTPUT -p tcp -j ISTIO_OUTPUT$/gm)).to.have.length(1);
    });
  });

  describe('with the pod interface excluded (-c, traffic.sidecar.istio.io/excludeInterfaces)', () => {
    before(async () => {
      await applyRules(['-i', '*', '-b', '*', '-d', '15090,15021,15020', '-c', VPOD]);
    });
    it('lets outbound through that interface go where it was addressed', async () => {
      expect(await probe(POD, PEER_IP, 80)).to.equal(LABEL.peer);
    });
    it('lets inbound arriving on that interface reach the app', async () => {
      expect(await probe(PEER, POD_IP, 9080)).to.equal(LABEL.app);
    });
    it('still redirects the proxy calling its own pod IP over loopback (another interface)', async () => {
      expect(await probe(POD, POD_IP, 9080, { uid: 1337, gid: 1337 })).to.equal(LABEL.inbound);
    });
  });

  describe('turned off (nothing captured)', () => {
    before(async () => {
      await applyRules(['-i', '', '-b', '']);
    });
    it('lets outbound and inbound through untouched', async () => {
      expect(await probe(POD, PEER_IP, 80)).to.equal(LABEL.peer);
      expect(await probe(PEER, POD_IP, 9080)).to.equal(LABEL.app);
    });
  });
});
