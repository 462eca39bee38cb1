/** The benches' load generator: its options, and a short real phase with the client spinning and idle. */
import { expect } from 'chai';
import Fastify from 'fastify';
import { BenchUsageError, clientMode, loadOptions, runPhases } from '../../bench/support/loadgen.js';
import { testCerts } from '../support/certs.js';

describe('bench load generator', () => {
  it('lets the client sleep between answers unless told --spin-client or BENCH_SPIN_CLIENT', () => {
    const saved = process.env.BENCH_SPIN_CLIENT;
    delete process.env.BENCH_SPIN_CLIENT;
    try {
      expect(loadOptions([]).spin).to.equal(false);
      expect(clientMode(loadOptions([]))).to.match(/sleeps/);
      expect(loadOptions(['--spin-client']).spin).to.equal(true);
      process.env.BENCH_SPIN_CLIENT = '1';
      expect(loadOptions([]).spin).to.equal(true);
      expect(clientMode(loadOptions([]))).to.match(/spins/);
    } finally {
      if (saved === undefined) delete process.env.BENCH_SPIN_CLIENT;
      else process.env.BENCH_SPIN_CLIENT = saved;
    }
  });

  it('reads durations and refuses what is not one', () => {
    const o = loadOptions(['--duration', '2s', '--warmup', '150ms', '--rounds', '3', '--only', 'echo']);
    expect(o).to.include({ durationMs: 2000, warmupMs: 150, rounds: 3, only: 'echo' });
    expect(() => loadOptions(['--duration', 'soon'])).to.throw(/not a duration: soon/);
  });

  it('refuses unknown flags, missing values and counts that are not whole numbers; --help asks for the flags', () => {
    const usage = (argv: string[]): BenchUsageError => {
      try {
        loadOptions(argv);
      } catch (e) {
        if (e instanceof BenchUsageError) return e;
        throw e;
      }
      throw new Error(`no error for ${argv.join(' ')}`);
    };
    expect(usage(['--bogus']).message).to.equal('unknown argument "--bogus"');
    expect(usage(['stray']).message).to.equal('unknown argument "stray"');
    expect(usage(['--rounds']).message).to.equal('--rounds needs a value');
    expect(usage(['--connections', '--spin-client']).message).to.equal('--connections needs a value');
    expect(usage(['--connections', '2.5']).message).to.equal('--connections: "2.5" is not a positive whole number');
    expect(usage(['--rounds', '0']).message).to.equal('--rounds: "0" is not a positive whole number');
    expect(usage(['--help']).help).to.equal(true);
    expect(loadOptions(['--strict', '--spin-client', '--connections', '4']).connections).to.equal(4);
  });

  for (const spin of [true, false]) {
    it(`drives a phase over HTTPS with the client ${spin ? 'spinning' : 'idle'}, and the spinning stops with it`, async () => {
      const certs = await testCerts();
      const app = Fastify({ https: { cert: certs.serving.cert, key: certs.serving.key } });
      app.post('/echo', async (req) => req.body);
      await app.listen({ port: 0, host: '127.0.0.1' });
      try {
        const port = (app.server.address() as { port: number }).port;
        const phase = { name: 'echo', port, path: '/echo', body: '{"a":1}', ca: certs.serving.ca };
        const [r] = await runPhases([phase], { connections: 2, durationMs: 200, warmupMs: 50, rounds: 2, spin });
        expect(r!.errors, r!.firstError).to.equal(0);
        expect(r!.requests).to.be.greaterThan(0);
        expect(r!.roundRps).to.have.length(2);
        // A busy loop left behind would always have an immediate pending, and keep the process from ever idling.
        await new Promise((resolve) => setTimeout(resolve, 10));
        expect(process.getActiveResourcesInfo()).to.not.include('Immediate');
      } finally {
        await app.close();
      }
    });
  }
});
