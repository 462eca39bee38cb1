/**
 * `npm run bench:validate` (after `npm run build`): POST /validate against a bare Fastify HTTPS echo of the same
 * body, in the same run (the method of bench:inject), with Bookinfo's reviews VirtualService and DestinationRule.
 * A last phase validates against a control plane that knows the whole Bookinfo world, so the apply-time
 * analysis warnings are included. Target: /validate ≥ 0.85 × echo throughput.
 *   flags: --duration 5s --warmup 1s --connections 10 --rounds 5 --spin-client --strict
 */
import { join } from 'node:path';
import { createReview, readObjects, samplesDir } from '../src/demo/inject.js';
import { BenchUsageError, LOAD_FLAGS, clientMode, fmt, loadOptions, printTable, printTargets, runPhases, startServer, type Phase, type PhaseResult } from './support/loadgen.js';

const checkAllowed = (_status: number, body: string): string | undefined => (JSON.parse(body).response?.allowed ? undefined : `not allowed: ${body.slice(0, 300)}`);

async function main(): Promise<number> {
  const opts = loadOptions();
  const net = join(samplesDir(), 'networking');
  const vs = readObjects(join(net, 'virtual-service-reviews-jason-v2-v3.yaml'))[0]!;
  const dr = readObjects(join(net, 'destination-rule-all-mtls.yaml')).find((o) => o.metadata.name === 'reviews')!;
  const vsBody = JSON.stringify(createReview(vs, 'default'));
  const drBody = JSON.stringify(createReview(dr, 'default'));
  const { info, child } = await startServer();
  process.stdout.write(`bench:validate: ${opts.connections} connections, ${opts.durationMs / 1000}s per phase after ${opts.warmupMs / 1000}s warm-up, ${clientMode(opts)}, node ${process.version}\n\n`);
  try {
    const phase = (name: string, port: number, path: string, body: string, check?: Phase['check']): Phase => ({ name, port, path, body, ca: info.ca, check });
    const results: PhaseResult[] = await runPhases(
      [
        phase('echo (VirtualService)', info.echoPort, '/echo', vsBody),
        phase('/validate (VirtualService)', info.webhookPort, '/validate', vsBody, checkAllowed),
        phase('echo (DestinationRule)', info.echoPort, '/echo', drBody),
        phase('/validate (DestinationRule)', info.webhookPort, '/validate', drBody, checkAllowed),
        phase('/validate (VS, Bookinfo world)', info.analysisPort, '/validate', vsBody, checkAllowed),
      ].filter((p) => !opts.only || p.name.includes(opts.only)),
      opts,
      child,
    );
    printTable(results);
    if (opts.only) return 0;
    const [echoVs, valVs, echoDr, valDr, valWorld] = results as [PhaseResult, PhaseResult, PhaseResult, PhaseResult, PhaseResult];
    const met = printTargets([
      { label: '/validate ≥ 0.85 × echo (VirtualService)', ok: valVs.rps / echoVs.rps >= 0.85 && valVs.errors === 0, detail: `ratio ${fmt(valVs.rps / echoVs.rps)}; by server CPU per request ${fmt(echoVs.cpuPerRequestUs / valVs.cpuPerRequestUs)}` },
      { label: '/validate ≥ 0.85 × echo (DestinationRule)', ok: valDr.rps / echoDr.rps >= 0.85 && valDr.errors === 0, detail: `ratio ${fmt(valDr.rps / echoDr.rps)}; by server CPU per request ${fmt(echoDr.cpuPerRequestUs / valDr.cpuPerRequestUs)}` },
    ]);
    process.stdout.write(`(with analysis against the Bookinfo world: ratio ${fmt(valWorld.rps / echoVs.rps)} to echo, p99 ${fmt(valWorld.p99)} ms)\n`);
    return met || !process.argv.includes('--strict') ? 0 : 1;
  } finally {
    child.kill();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof BenchUsageError) {
      (e.help ? process.stdout : process.stderr).write(`${e.help ? '' : `bench:validate: ${e.message}\n`}flags: ${LOAD_FLAGS}\n`);
      process.exit(e.help ? 0 : 2);
    }
    process.stderr.write(`bench:validate: ${(e as Error).stack}\n`);
    process.exit(1);
  },
);
