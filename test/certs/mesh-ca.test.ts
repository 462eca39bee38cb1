/**
 * The mesh CA in force, reloaded from its directory: a changed file (or a Secret volume's `..data` swap) is noticed
 * and swapped in whole, consumers are told, and a half-written, invalid or unsafe set keeps the one in force.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { CertFiles } from '../../src/certs/files.js';
import { generateCa, type KeyPair } from '../../src/certs/generate.js';
import { MeshCaHolder } from '../../src/certs/mesh-ca.js';
import { fingerprintsOf, type MeshTrust, type TrustChange } from '../../src/certs/trust.js';
import { scratchDir } from '../support/tmp.js';

const fp = (pem: string): string => fingerprintsOf(pem)![0]!;

/** Writes a file as `mizzen certs` or an editor that saves atomically does: a temporary file renamed over it. */
function put(dir: string, name: string, text: string): void {
  writeFileSync(join(dir, `.${name}.tmp`), text);
  renameSync(join(dir, `.${name}.tmp`), join(dir, name));
}

function writeCa(dir: string, ca: KeyPair, bundle?: string): void {
  put(dir, CertFiles.meshCaCert, ca.cert);
  put(dir, CertFiles.meshCaKey, ca.key);
  if (bundle !== undefined) put(dir, CertFiles.meshRoots, bundle);
}

/** A logger whose lines (raw JSON text and parsed) the test reads. */
function capture(): { log: pino.Logger; raw: string[]; lines: Array<{ level: number; msg: string }> } {
  const raw: string[] = [];
  const lines: Array<{ level: number; msg: string }> = [];
  const write = (s: string): void => {
    raw.push(s);
    lines.push(JSON.parse(s));
  };
  return { log: pino({ level: 'info' }, { write }), raw, lines };
}

describe('certs: the mesh CA in force, reloaded from its directory', function () {
  this.timeout(20_000);
  let a: KeyPair;
  let b: KeyPair;
  const open: MeshCaHolder[] = [];
  before(async () => {
    [a, b] = await Promise.all([generateCa('root A'), generateCa('root B')]);
  });
  afterEach(() => open.splice(0).forEach((h) => h.close()));

  const holder = (dir: string, o: Parameters<typeof MeshCaHolder.open>[1] = {}): MeshCaHolder => {
    const r = MeshCaHolder.open(dir, { debounceMs: 20, ...o });
    if (!r.ok) throw new Error(r.errors.join('; '));
    open.push(r.value);
    return r.value;
  };
  const metric = async (registry: Registry): Promise<string> => (await registry.getSingleMetricAsString('mizzen_mesh_ca_reloads_total')).split('\n').filter((l) => !l.startsWith('#')).join(' ');

  it('does not open without the mesh CA, naming the files', () => {
    const dir = scratchDir('mizzen-meshca-none-');
    const r = MeshCaHolder.open(dir);
    expect(r.ok).to.equal(false);
    if (!r.ok) expect(r.errors).to.deep.equal([`${join(dir, 'mesh-ca.crt')}: missing (run \`mizzen certs\` first to create the mesh CA)`, `${join(dir, 'mesh-ca.key')}: missing (run \`mizzen certs\` first to create the mesh CA)`]);
    writeCa(dir, a, 'junk');
    const bad = MeshCaHolder.open(dir);
    expect(bad.ok).to.equal(false);
    if (!bad.ok) expect(bad.errors).to.deep.equal([`${join(dir, 'mesh-roots.crt')}: no PEM certificate in it (delete the file to trust ${join(dir, 'mesh-ca.crt')} alone)`]);
  });

  it('notices a bundle written into the directory, swaps, tells the consumers, counts and logs it (no key in the log)', async () => {
    const dir = scratchDir('mizzen-meshca-watch-');
    writeCa(dir, a);
    const registry = new Registry();
    const { log, raw, lines } = capture();
    const h = holder(dir, { registry, log });
    const told: Array<[MeshTrust, TrustChange]> = [];
    h.onChange((t, c) => void told.push([t, c]));
    h.start();
    expect(h.current().roots.map((r) => r.fingerprint)).to.deep.equal([fp(a.cert)]);
    const reloaded = once(h, 'reloaded');
    put(dir, CertFiles.meshRoots, b.cert);
    await reloaded;
    expect(h.current().roots.map((r) => [r.fingerprint, r.source])).to.deep.equal([[fp(a.cert), 'mesh-ca.crt'], [fp(b.cert), 'mesh-roots.crt']]);
    expect(h.current().ca.cert, 'the same signing CA').to.equal(a.cert);
    expect(told).to.have.length(1);
    expect(told[0]![0]).to.equal(h.current());
    expect(told[0]![1].added.map((s) => s.fingerprint)).to.deep.equal([fp(b.cert)]);
    expect(await metric(registry)).to.equal('mizzen_mesh_ca_reloads_total{result="applied"} 1');
    const report = h.report();
    expect(report.ca.fingerprint).to.equal(fp(a.cert));
    expect(report.roots.map((r) => r.source)).to.deep.equal(['mesh-ca.crt', 'mesh-roots.crt']);
    expect(report.reloads).to.deep.equal({ applied: 1, rejected: 0 });
    expect(report.lastChange?.added.map((s) => s.subject)).to.deep.equal(['CN=root B, O=mizzen']);
    expect(JSON.stringify(report)).to.not.match(/BEGIN/);
    expect(lines.map((l) => l.msg)).to.deep.equal([`mesh CA reloaded: roots added: CN=root B, O=mizzen (${fp(b.cert)})`]);
    expect(raw.join('')).to.not.match(/PRIVATE KEY|BEGIN/);
  });

  it('follows a Kubernetes Secret volume: files are symlinks into ..data, which is swapped at once', async () => {
    const dir = scratchDir('mizzen-meshca-secret-');
    const version = (name: string, files: Record<string, string>): void => {
      mkdirSync(join(dir, name));
      for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, name, f), text);
    };
    version('..v1', { [CertFiles.meshCaCert]: a.cert, [CertFiles.meshCaKey]: a.key });
    symlinkSync('..v1', join(dir, '..data'));
    for (const f of [CertFiles.meshCaCert, CertFiles.meshCaKey, CertFiles.meshRoots]) symlinkSync(join('..data', f), join(dir, f));
    const h = holder(dir);
    h.start();
    expect(h.current().roots).to.have.length(1);
    // What the kubelet does: the new version beside the old, a new ..data link renamed over the old one.
    const swap = (name: string): void => {
      symlinkSync(name, join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    };
    // Step 1 (B trusted, A signs), then step 2 (B signs, A trusted), each one swap.
    version('..v2', { [CertFiles.meshCaCert]: a.cert, [CertFiles.meshCaKey]: a.key, [CertFiles.meshRoots]: b.cert });
    version('..v3', { [CertFiles.meshCaCert]: b.cert, [CertFiles.meshCaKey]: b.key, [CertFiles.meshRoots]: a.cert });
    const reloaded = once(h, 'reloaded');
    swap('..v2');
    await reloaded;
    expect(h.current().roots.map((r) => r.fingerprint)).to.deep.equal([fp(a.cert), fp(b.cert)]);
    const switched = once(h, 'reloaded');
    swap('..v3');
    const [trust, change] = (await switched) as [MeshTrust, TrustChange];
    expect(trust.ca.cert).to.equal(b.cert);
    expect([change.ca?.from.fingerprint, change.ca?.to.fingerprint]).to.deep.equal([fp(a.cert), fp(b.cert)]);
    rmSync(join(dir, '..v1'), { recursive: true });
  });

  it('an invalid bundle keeps the mesh CA in force and says why (log, metric, report); fixing it is taken', async () => {
    const dir = scratchDir('mizzen-meshca-bad-');
    writeCa(dir, a);
    const registry = new Registry();
    const { log, lines } = capture();
    const h = holder(dir, { registry, log });
    let told = 0;
    h.onChange(() => void told++);
    h.start();
    const rejected = once(h, 'rejected');
    put(dir, CertFiles.meshRoots, `${b.cert}\n${b.key}`);
    const [errors] = (await rejected) as [string[]];
    expect(errors).to.deep.equal([`${join(dir, 'mesh-roots.crt')}: block 2 is a private key: only certificates belong here`]);
    expect(h.current().roots.map((r) => r.fingerprint)).to.deep.equal([fp(a.cert)]);
    expect(told).to.equal(0);
    expect(h.report().lastRejection?.errors).to.deep.equal(errors);
    expect(await metric(registry)).to.equal('mizzen_mesh_ca_reloads_total{result="rejected"} 1');
    expect(lines.at(-1)!.level).to.equal(40);
    expect(lines.at(-1)!.msg).to.equal(`mesh CA files not taken; the mesh CA in force stays: ${errors[0]}`);
    const reloaded = once(h, 'reloaded');
    put(dir, CertFiles.meshRoots, b.cert);
    await reloaded;
    expect(h.current().roots).to.have.length(2);
    expect(told).to.equal(1);
  });

  it('a pair caught half written is refused, the whole pair is taken; an unchanged rewrite is no change', async () => {
    const dir = scratchDir('mizzen-meshca-half-');
    writeCa(dir, a, b.cert);
    const h = holder(dir);
    let told = 0;
    h.onChange(() => void told++);
    put(dir, CertFiles.meshCaCert, b.cert);
    const half = await h.reload();
    expect(half.result).to.equal('rejected');
    if (half.result === 'rejected') expect(half.errors[0]).to.match(/mesh-ca\.crt, .*mesh-ca\.key: the key does not belong to the certificate$/);
    writeFileSync(join(dir, CertFiles.meshCaKey), b.key.slice(0, 100));
    expect((await h.reload()).result, 'a key cut short').to.equal('rejected');
    put(dir, CertFiles.meshCaKey, b.key);
    put(dir, CertFiles.meshRoots, a.cert);
    const whole = await h.reload();
    expect(whole.result).to.equal('applied');
    expect(h.current().ca).to.deep.equal(b);
    put(dir, CertFiles.meshRoots, `# the previous mesh CA\n${a.cert}\n`);
    expect(await h.reload()).to.deep.equal({ result: 'unchanged' });
    expect(told).to.equal(1);
    expect(h.report().reloads).to.deep.equal({ applied: 1, rejected: 2 });
  });

  it('refuses a reload that would break mTLS (a CA no workload trusts yet), and a restart takes it', async () => {
    const dir = scratchDir('mizzen-meshca-unsafe-');
    writeCa(dir, a);
    const h = holder(dir);
    writeCa(dir, b, a.cert);
    const r = await h.reload();
    expect(r.result).to.equal('rejected');
    if (r.result === 'rejected') expect(r.errors).to.have.length(1).and.to.match(/^the new mesh CA CN=root B, O=mizzen \(.*\) is not trusted yet: add it to mesh-roots\.crt first/);
    expect(h.current().ca).to.deep.equal(a);
    expect(holder(dir).current().ca, 'a new start has nothing to break').to.deep.equal(b);
  });

  it('a consumer that fails is logged; the others are still told and the swap stands', async () => {
    const dir = scratchDir('mizzen-meshca-consumer-');
    writeCa(dir, a);
    const { log, lines } = capture();
    const h = holder(dir, { log });
    const order: string[] = [];
    h.onChange(async () => {
      order.push('first');
      throw new Error('cannot take it');
    });
    const off = h.onChange(() => void order.push('second'));
    put(dir, CertFiles.meshRoots, b.cert);
    expect((await h.reload()).result).to.equal('applied');
    expect(order).to.deep.equal(['first', 'second']);
    expect(h.current().roots).to.have.length(2);
    expect(lines.some((l) => l.level === 50 && l.msg === 'mesh CA: a consumer failed to take the new mesh CA')).to.equal(true);
    off();
    rmSync(join(dir, CertFiles.meshRoots));
    expect((await h.reload()).result).to.equal('applied');
    expect(order, 'unsubscribed').to.deep.equal(['first', 'second', 'first']);
  });
});
