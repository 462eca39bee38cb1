/** When a workload certificate is issued anew: two thirds into its lifetime, or at once when it is not the mesh CA's for the identity. */
import { expect } from 'chai';
import { generateCa, issueWorkloadCert, type WorkloadId } from '../../src/certs/index.js';
import { RENEW_AT, renewal } from '../../src/certs/renewal.js';
import { meshTrust, type MeshTrust } from '../../src/certs/trust.js';
import { testCerts } from '../support/certs.js';

const DAY = 24 * 60 * 60 * 1000;
const id: WorkloadId = { trustDomain: 'cluster.local', namespace: 'shop', serviceAccount: 'reviews' };

describe('workload certificate renewal', function () {
  this.timeout(20_000);

  it('a fresh certificate is not due; it is due two thirds into its lifetime, with the same lifetime', async () => {
    const { meshCa } = await testCerts();
    const cert = await issueWorkloadCert(meshCa, id, 3);
    const now = Date.now();
    const fresh = renewal(cert, id, meshCa, now);
    expect(fresh.due).to.equal(false);
    expect(fresh.days).to.be.closeTo(3, 0.01);
    // notBefore is 5 minutes back (clock skew): due at notBefore + 2/3 of 3 days.
    expect(fresh.dueAt! - now).to.be.closeTo(RENEW_AT * 3 * DAY - 5 * 60 * 1000, 60_000);
    const later = renewal(cert, id, meshCa, fresh.dueAt! + 1);
    expect(later).to.include({ due: true, reason: '67 % of its lifetime has passed' });
    expect(later.days).to.be.closeTo(3, 0.01);
    expect(renewal(cert, id, meshCa, now + 10 * DAY).due).to.equal(true);
  });

  it('is due at once when the certificate is not what the mesh CA would issue for the identity now', async () => {
    const { meshCa } = await testCerts();
    const cert = await issueWorkloadCert(meshCa, id);
    const otherCa = await generateCa('another CA');
    const foreign = await issueWorkloadCert(otherCa, id);
    const other = await issueWorkloadCert(meshCa, { ...id, serviceAccount: 'ratings' });
    const cases: Array<[string, Parameters<typeof renewal>[0], string]> = [
      ['nothing', {}, 'no readable certificate'],
      ['garbage', { certChain: 'not a PEM', key: cert.key, root: cert.root }, 'no readable certificate'],
      ['another CA', foreign, 'not signed by the mesh CA'],
      ['another identity', other, 'its identity is not spiffe://cluster.local/ns/shop/sa/reviews'],
      ['a key that is not its own', { ...cert, key: other.key }, 'key.pem is not the key of the certificate'],
      ['no key', { ...cert, key: undefined }, 'no readable key'],
      ['a stale root', { ...cert, root: otherCa.cert }, 'root-cert.pem is not the mesh CA'],
    ];
    for (const [what, c, reason] of cases) expect(renewal(c, id, meshCa, Date.now()), what).to.include({ due: true, reason });
    // Another trust domain is another identity too.
    expect(renewal(cert, { ...id, trustDomain: 'example.org' }, meshCa, Date.now()).due).to.equal(true);
  });

  it('follows a CA rotation: the combined roots first, then a certificate from the new CA, then the new root alone', async () => {
    const a = (await testCerts()).meshCa;
    const b = await generateCa('the next mesh CA');
    const trust = (ca: typeof a, bundle?: string): MeshTrust => {
      const r = meshTrust(ca, bundle, Date.now());
      if (!r.ok) throw new Error(r.errors.join('; '));
      return r.value;
    };
    const now = Date.now();
    const before = await issueWorkloadCert(a, id);
    expect(renewal(before, id, trust(a), now).due, 'fresh before the rotation').to.equal(false);
    // 1. B added to the bundle: the certificate is fine, its root file is not.
    const step1 = trust(a, b.cert);
    expect(renewal(before, id, step1, now)).to.include({ due: true, reason: 'root-cert.pem is not the trusted roots (mesh-ca.crt and mesh-roots.crt)' });
    const withBoth = await issueWorkloadCert(step1, id);
    expect(withBoth.root).to.equal(step1.rootsPem);
    expect(renewal(withBoth, id, step1, now).due).to.equal(false);
    // The same roots written in another order are the same roots: no churn.
    expect(renewal({ ...withBoth, root: `${b.cert}\n${a.cert}\n` }, id, step1, now).due).to.equal(false);
    // 2. B signs, A stays trusted: a certificate A signed is due.
    const step2 = trust(b, a.cert);
    expect(renewal(withBoth, id, step2, now)).to.include({ due: true, reason: 'not signed by the mesh CA' });
    const fromB = await issueWorkloadCert(step2, id);
    expect(renewal(fromB, id, step2, now).due).to.equal(false);
    // 3. A dropped: the root file is due again, the certificate is not.
    expect(renewal(fromB, id, trust(b), now)).to.include({ due: true, reason: 'root-cert.pem is not the mesh CA' });
  });
});
