/**
 * The benchmark's server process: `mizzen serve` (webhook with the real injector and validator) and, beside it,
 * the baseline: a bare Fastify HTTPS route that echoes the JSON body it receives, on the same certificate.
 * A second serve instance validates against the Bookinfo world, so apply-time analysis is measured too.
 * Runs in its own process (forked by the load generator), so server and client do not share a core.
 */
import Fastify from 'fastify';
import { join } from 'node:path';
import { readdirSync, rmSync } from 'node:fs';
import { startServe } from '../../src/cmd/serve.js';
import { DEFAULT_MESH_CONFIG } from '../../src/config/mesh.js';
import { createLogger } from '../../src/core/log.js';
import { generateAll } from '../../src/certs/index.js';
import { readObjects, samplesDir } from '../../src/demo/inject.js';
import { BODY_LIMIT } from '../../src/webhook/index.js';

export interface ServerInfo {
  webhookPort: number;
  analysisPort: number;
  echoPort: number;
  ca: string;
}

async function main(): Promise<void> {
  const certs = await generateAll();
  // info is the production default; a review that injects or validates cleanly logs nothing at info.
  const log = createLogger({ level: process.env.BENCH_LOG_LEVEL ?? 'info' });
  const { writeCerts } = await import('../../src/certs/index.js');
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'mizzen-bench-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true })); // every way out below is process.exit
  writeCerts(dir, certs);
  const opts = { webhookPort: 0, monitoringPort: 0, host: '127.0.0.1', certsDir: dir, mesh: DEFAULT_MESH_CONFIG, log };
  const serve = await startServe(opts);
  const withWorld = await startServe(opts);
  const samples = samplesDir();
  const world = ['platform', 'networking'].flatMap((d) =>
    readdirSync(join(samples, d))
      .filter((f) => f.endsWith('.yaml'))
      .flatMap((f) => readObjects(join(samples, d, f)).map((o) => ({ ...o, metadata: { ...o.metadata, namespace: o.metadata.namespace ?? 'default' } }))),
  );
  withWorld.ctx.world = () => world;

  const echo = Fastify({ https: { cert: certs.serving.cert, key: certs.serving.key }, logger: false, bodyLimit: BODY_LIMIT });
  echo.post('/echo', async (req) => req.body);
  // A reference, not a contender: parses the body as echo does, then returns a precomputed answer (the bench
  // sends /inject's real answer first), to show what the answer's size alone costs the server and the client.
  let canned: Buffer | undefined;
  echo.post('/canned', async (_req, reply) => (canned ? reply.type('application/json').send(canned) : reply.code(503).send('no canned answer yet')));
  await echo.listen({ port: 0, host: '127.0.0.1' });

  const info: ServerInfo = {
    webhookPort: serve.ports.webhook,
    analysisPort: withWorld.ports.webhook,
    echoPort: (echo.server.address() as { port: number }).port,
    ca: certs.serving.ca,
  };
  process.on('message', (m: { cpu?: boolean; canned?: string }) => {
    if (m?.cpu) process.send!({ cpu: process.cpuUsage() });
    if (typeof m?.canned === 'string') {
      canned = Buffer.from(m.canned);
      process.send!({ cannedSet: true });
    }
  });
  process.send!(info);
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0)); // a clean exit, so --cpu-prof writes its profile
}

main().catch((e) => {
  process.stderr.write(`bench server: ${(e as Error).stack}\n`);
  process.exit(1);
});
