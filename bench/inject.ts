/**
 * `npm run bench:inject` (after `npm run build`): POST /inject against a bare Fastify HTTPS echo of the same
 * body, in the same run: closed loop, HTTPS/1.1 keep-alive, 10 connections. First a Bookinfo pod, then a
 * 64 KB pod with 2000 env vars. Targets: /inject ≥ 0.8 × echo throughput; the 64 KB pod's p99 under 20 ms.
 * Two reference phases: echo's route answering with /inject's real answer, precomputed (what the answer's size
 * alone costs), and /inject answering an UPDATE, which it allows unchanged (what the webhook costs without
 * injecting); the rest of the gap is the injection. Before the phases, the webhook's own steps for the Bookinfo
 * review (decode, inject, encode) are timed in a hot loop (support/steps.ts), beside the budget 0.8 leaves them.
 *   flags: --duration 5s --warmup 1s --connections 10 --rounds 5 --spin-client --strict (exit 1 when a target is missed)
 */
import { join } from 'node:path';
import { request } from 'node:https';
import type { ChildProcess } from 'node:child_process';
import type { KubeObject } from '../src/core/kube.js';
import { createReview, samplesDir, workloadPods } from '../src/demo/inject.js';
import { BenchUsageError, LOAD_FLAGS, clientMode, fmt, loadOptions, printTable, printTargets, roundRatios, runPhases, startServer, type Phase, type PhaseResult } from './support/loadgen.js';
import { timeSteps } from './support/steps.js';

/** A pod of about 64 KB: productpage with 2000 environment variables. */
export function bigPod(base: KubeObject): KubeObject {
  const pod = structuredClone(base);
  pod.spec.containers[0].env = Array.from({ length: 2000 }, (_, i) => ({ name: `E${String(i).padStart(4, '0')}`, value: `v${String(i).padStart(4, '0')}` }));
  return pod;
}

const checkInjected = (_status: number, body: string): string | undefined => {
  const r = JSON.parse(body).response;
  return r?.allowed && r.patchType === 'JSONPatch' ? undefined : `not injected: ${body.slice(0, 200)}`;
};

const checkUnchanged = (_status: number, body: string): string | undefined => {
  const r = JSON.parse(body).response;
  return r?.allowed && r.patch === undefined ? undefined : `not allowed unchanged: ${body.slice(0, 200)}`;
};

/** One real /inject answer (the body text), for the canned reference route. */
function answerOf(port: number, ca: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/inject', method: 'POST', ca, servername: 'mizzen.mizzen-system.svc', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString()));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function setCanned(child: ChildProcess, answer: string): Promise<void> {
  return new Promise((resolve) => {
    const on = (m: unknown) => {
      if (!(m as { cannedSet?: boolean }).cannedSet) return;
      child.off('message', on);
      resolve();
    };
    child.on('message', on);
    child.send({ canned: answer });
  });
}

async function main(): Promise<number> {
  const opts = loadOptions();
  const pod = workloadPods(join(samplesDir(), 'platform', 'bookinfo.yaml'), 'bookinfo', false).find((p) => p.workload === 'productpage-v1')!.pod;
  const small = JSON.stringify(createReview(pod, 'bookinfo'));
  const big = JSON.stringify(createReview(bigPod(pod), 'bookinfo'));
  const update = JSON.stringify(createReview(pod, 'bookinfo', { operation: 'UPDATE', oldObject: pod }));
  // Before the server starts, so that nothing else runs on the cores meanwhile.
  const steps = opts.only ? undefined : timeSteps(small);
  const { info, child } = await startServer();
  process.stdout.write(`bench:inject: ${opts.connections} connections, ${opts.durationMs / 1000}s per phase after ${opts.warmupMs / 1000}s warm-up, ${clientMode(opts)}, node ${process.version}\n\n`);
  try {
    const phase = (name: string, port: number, path: string, body: string, check?: Phase['check']): Phase => ({ name, port, path, body, ca: info.ca, check });
    await setCanned(child, await answerOf(info.webhookPort, info.ca, small));
    const results: PhaseResult[] = await runPhases(
      [
        phase('echo (bookinfo pod)', info.echoPort, '/echo', small),
        phase('/inject (bookinfo pod)', info.webhookPort, '/inject', small, checkInjected),
        phase('echo (64 KB pod)', info.echoPort, '/echo', big),
        phase('/inject (64 KB pod)', info.webhookPort, '/inject', big, checkInjected),
        phase('reference: canned /inject answer (bookinfo pod)', info.echoPort, '/canned', small, checkInjected),
        phase('reference: /inject of an UPDATE (bookinfo pod)', info.webhookPort, '/inject', update, checkUnchanged),
      ].filter((p) => !opts.only || p.name.includes(opts.only)),
      opts,
      child,
    );
    printTable(results);
    if (opts.only) return 0;
    const [echoSmall, injSmall, echoBig, injBig, canned, updated] = results as [PhaseResult, PhaseResult, PhaseResult, PhaseResult, PhaseResult, PhaseResult];
    process.stdout.write(
      `\nreference: echo's route answering with /inject's answer (${(injSmall.answerBytes / 1024).toFixed(1)} KiB vs echo's ${(echoSmall.answerBytes / 1024).toFixed(1)} KiB), ` +
        `precomputed (no injection at all): ${fmt(canned.rps / echoSmall.rps)} × echo throughput, ${fmt(echoSmall.cpuPerRequestUs / canned.cpuPerRequestUs)} by server CPU. ` +
        `What the bigger answer alone costs, with this client on this machine.\n` +
        `reference: /inject answering an UPDATE of the same pod (allowed unchanged: the webhook's HTTPS, routing, decoding and answer, ` +
        `no injection): ${fmt(updated.rps / echoSmall.rps)} × echo throughput, ${fmt(echoSmall.cpuPerRequestUs / updated.cpuPerRequestUs)} by server CPU. ` +
        `The rest of /inject's gap is the injection of the pod.\n`,
    );
    if (steps) {
      const budget = echoSmall.cpuPerRequestUs / 0.8;
      process.stdout.write(
        `reference: the webhook's own steps for the bookinfo review, in a hot loop in this process before the phases: ` +
          `decode ${fmt(steps.decode)} µs, inject ${fmt(steps.inject)} µs, encode the answer ${fmt(steps.encode)} µs. ` +
          `0.8 by server CPU allows ${fmt(budget)} µs per request, ${fmt(budget - updated.cpuPerRequestUs)} µs more than the UPDATE's answer ` +
          `(for the injection, its encoding and the bigger answer's write).\n`,
      );
    }
    const ratioSmall = injSmall.rps / echoSmall.rps;
    const rounds = roundRatios(injSmall, echoSmall);
    const ratioBig = injBig.rps / echoBig.rps;
    const met = printTargets([
      { label: '/inject ≥ 0.8 × echo throughput (bookinfo pod)', ok: ratioSmall >= 0.8 && injSmall.errors === 0, detail: `ratio ${fmt(ratioSmall)} (rounds: ${fmt(rounds.min)} to ${fmt(rounds.max)}, median ${fmt(rounds.median)}); by server CPU per request ${fmt(echoSmall.cpuPerRequestUs / injSmall.cpuPerRequestUs)}` },
      { label: '64 KB pod p99 < 20 ms', ok: injBig.p99 < 20 && injBig.errors === 0, detail: `p99 ${fmt(injBig.p99)} ms (throughput ratio to echo ${fmt(ratioBig)}; by server CPU ${fmt(echoBig.cpuPerRequestUs / injBig.cpuPerRequestUs)})` },
    ]);
    return met || !process.argv.includes('--strict') ? 0 : 1;
  } finally {
    child.kill();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof BenchUsageError) {
      (e.help ? process.stdout : process.stderr).write(`${e.help ? '' : `bench:inject: ${e.message}\n`}flags: ${LOAD_FLAGS}\n`);
      process.exit(e.help ? 0 : 2);
    }
    process.stderr.write(`bench:inject: ${(e as Error).stack}\n`);
    process.exit(1);
  },
);
