import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { CertFiles, CertWatcher, generateAll, readServingMaterial, webhookNames, writeCerts, hasServingMaterial, type ServingMaterial } from '../../src/certs/index.js';
import { run } from '../../src/cmd/certs.js';
import { testCerts, tempDir } from '../support/certs.js';

describe('certs: generation', () => {
  it('signs a serving certificate with every webhook SAN under a CA', async () => {
    const c = await testCerts();
    const cert = new X509Certificate(c.serving.cert);
    const ca = new X509Certificate(c.serving.ca);
    expect(cert.subjectAltName).to.equal('DNS:mizzen.mizzen-system.svc, DNS:mizzen.mizzen-system.svc.cluster.local, DNS:localhost, IP Address:127.0.0.1');
    expect(cert.ca).to.equal(false);
    expect(ca.ca).to.equal(true);
    expect(cert.checkIssued(ca)).to.equal(true);
    expect(cert.verify(ca.publicKey)).to.equal(true);
    expect(cert.checkHost('mizzen.mizzen-system.svc')).to.equal('mizzen.mizzen-system.svc');
    expect(cert.checkIP('127.0.0.1')).to.equal('127.0.0.1');
    expect(new X509Certificate(c.meshCa.cert).ca).to.equal(true);
  });

  it('names follow the service and namespace', async () => {
    expect(webhookNames('mz', 'ns')).to.deep.equal(['mz.ns.svc', 'mz.ns.svc.cluster.local', 'localhost', '127.0.0.1']);
  });
});

describe('certs: files', () => {
  it('writes a TLS Secret layout and reads it back', async () => {
    const t = tempDir();
    try {
      const c = await testCerts();
      writeCerts(t.dir, c);
      expect(hasServingMaterial(t.dir)).to.equal(true);
      const r = readServingMaterial(t.dir);
      expect(r.ok && r.value).to.deep.equal(c.serving);
      expect(statSync(join(t.dir, CertFiles.key)).mode & 0o777).to.equal(0o600);
    } finally {
      t.cleanup();
    }
  });

  it('names missing and mismatched files', async () => {
    const t = tempDir();
    try {
      const r = readServingMaterial(t.dir);
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.errors.join('\n')).to.match(/tls\.crt: missing/).and.match(/tls\.key: missing/);
      const a = await testCerts();
      const b = await generateAll();
      writeFileSync(join(t.dir, CertFiles.cert), a.serving.cert);
      writeFileSync(join(t.dir, CertFiles.key), b.serving.key);
      const m = readServingMaterial(t.dir);
      expect(m.ok).to.equal(false);
      if (!m.ok) expect(m.errors[0]).to.match(/not a usable key pair/);
    } finally {
      t.cleanup();
    }
  });

  it('`mizzen certs --out` writes every file and keeps them on a second run', async () => {
    const t = tempDir();
    const write = process.stdout.write;
    const out: string[] = [];
    process.stdout.write = ((s: string) => (out.push(s), true)) as typeof process.stdout.write;
    try {
      expect(await run(['--out', t.dir])).to.equal(0);
      const first = readFileSync(join(t.dir, CertFiles.cert), 'utf8');
      expect(await run(['--out', t.dir])).to.equal(0);
      expect(readFileSync(join(t.dir, CertFiles.cert), 'utf8')).to.equal(first);
      expect(await run(['--out', t.dir, '--force'])).to.equal(0);
      expect(readFileSync(join(t.dir, CertFiles.cert), 'utf8')).to.not.equal(first);
      // mesh-roots.crt is for a rotation, made by hand: not written.
      for (const f of Object.values(CertFiles).filter((n) => n !== CertFiles.meshRoots)) expect(hasServingMaterial(t.dir) && readFileSync(join(t.dir, f), 'utf8')).to.match(/-----BEGIN/);
    } finally {
      process.stdout.write = write;
      t.cleanup();
    }
    expect(out.join('')).to.match(/already present/);
  });
});

describe('certs: CertWatcher', () => {
  it('hands over a rotated pair and ignores a broken one', async () => {
    const t = tempDir();
    const seen: ServingMaterial[] = [];
    const first = await testCerts();
    writeCerts(t.dir, first);
    const w = new CertWatcher(t.dir, { onChange: (m) => seen.push(m), debounceMs: 20, current: first.serving });
    w.start();
    try {
      const next = await generateAll();
      const reloaded = once(w, 'reloaded');
      writeCerts(t.dir, next);
      await reloaded;
      expect(seen.at(-1)!.cert).to.equal(next.serving.cert);

      const rejected = once(w, 'rejected');
      writeFileSync(join(t.dir, CertFiles.key), 'not a key');
      await rejected;
      expect(seen.at(-1)!.cert).to.equal(next.serving.cert);
    } finally {
      w.close();
      t.cleanup();
    }
  });
});
