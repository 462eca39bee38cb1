/**
 * The Dockerfile cannot be built here (no Docker engine), so this checks what can be checked:
 * it parses into known instructions and two stages, what it COPYs exists and is not
 * .dockerignored, the runtime has iptables (it is the istio-init image too) and runs non-root,
 * and image names and paths agree with package.json, the Makefile and the manifests.
 */
import { expect } from 'chai';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { DEFAULT_MESH_CONFIG } from '../../src/config/mesh.js';
import { Ports } from '../../src/core/constants.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** Dockerfile → instructions: comments dropped, backslash continuations joined. */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (pending === '' && (line.trim() === '' || line.trimStart().startsWith('#'))) return;
    if (pending === '') start = i + 1;
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      return;
    }
    const full = (pending + line).trim();
    pending = '';
    const m = /^(\w+)\s+([\s\S]*)$/.exec(full);
    if (!m) throw new Error(`Dockerfile:${start}: cannot parse "${full}"`);
    out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), line: start });
  });
  if (pending) throw new Error('Dockerfile: ends inside a continued line');
  return out;
}

function ignored(patterns: string[], path: string): boolean {
  return patterns.some((p) => path === p || path.startsWith(p + '/') || (p.startsWith('*.') && path.endsWith(p.slice(1))));
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

describe('Dockerfile', () => {
  const ins = parseDockerfile(readFileSync(join(REPO, 'Dockerfile'), 'utf8'));
  const dockerignore = readFileSync(join(REPO, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const args = Object.fromEntries(ins.filter((i) => i.keyword === 'ARG').map((i) => i.args.split('=') as [string, string]));
  const stages: Array<{ name: string; base: string; body: Instruction[] }> = [];
  for (const i of ins) {
    if (i.keyword === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(i.args)!;
      stages.push({ name: m[2] ?? String(stages.length), base: m[1]!.replace(/\$\{(\w+)\}/g, (_, a: string) => args[a] ?? ''), body: [] });
    } else if (stages.length) stages.at(-1)!.body.push(i);
  }
  const runtime = () => stages.at(-1)!;
  const one = (keyword: string) => {
    const found = runtime().body.filter((i) => i.keyword === keyword);
    expect(found, keyword).to.have.length(1);
    return found[0]!;
  };

  it('uses only known instructions', async () => {
    const known = ['FROM', 'ARG', 'WORKDIR', 'COPY', 'RUN', 'ENV', 'USER', 'EXPOSE', 'ENTRYPOINT', 'CMD', 'LABEL'];
    for (const i of ins) expect(known, `line ${i.line}`).to.include(i.keyword);
  });

  it('has a node:20-bookworm-slim build stage and a runtime stage', async () => {
    expect(stages.map((s) => s.name)).to.deep.equal(['build', 'runtime']);
    for (const s of stages) expect(s.base).to.equal('node:20-bookworm-slim');
    const build = stages[0]!.body.map((i) => `${i.keyword} ${i.args}`);
    const at = (re: RegExp) => build.findIndex((l) => re.test(l));
    expect(at(/^COPY package\.json package-lock\.json/), 'lock file copied').to.be.greaterThan(-1);
    expect(at(/^RUN npm ci/), 'npm ci after the lock file').to.be.greaterThan(at(/^COPY package\.json/));
    expect(at(/npx tsc -p tsconfig\.json/), 'build after sources').to.be.greaterThan(at(/^COPY src /));
    expect(at(/npm prune --omit=dev/), 'dev dependencies pruned').to.be.greaterThan(-1);
  });

  it('copies only files that exist and that .dockerignore lets through', async () => {
    for (const s of stages) {
      for (const c of s.body.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))) {
        const parts = c.args.split(/\s+/);
        for (const src of parts.slice(0, -1)) {
          expect(existsSync(join(REPO, src)), `COPY ${src} (line ${c.line})`).to.equal(true);
          expect(ignored(dockerignore, src), `${src} is .dockerignored`).to.equal(false);
        }
      }
    }
  });

  it('copies from the build stage only what the build produced', async () => {
    const tsconfig = JSON.parse(readFileSync(join(REPO, 'tsconfig.json'), 'utf8'));
    expect(tsconfig.compilerOptions.outDir).to.equal('dist');
    expect(tsconfig.compilerOptions.rootDir).to.equal('.');
    const froms = runtime().body.filter((i) => i.keyword === 'COPY' && i.args.startsWith('--from'));
    expect(froms.map((i) => i.args.split(/\s+/)[1])).to.deep.equal(['/src/package.json', '/src/node_modules', '/src/dist/src']);
    for (const i of froms) expect(i.args).to.match(/^--from=build /);
  });

  it('keeps src/ self-contained (the image copies nothing else)', async () => {
    for (const file of walk(join(REPO, 'src')).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.[^'"]+)['"]/g)) {
        const target = relative(join(REPO, 'src'), resolve(dirname(file), m[1]!));
        expect(target.startsWith('..'), `${relative(REPO, file)} imports ${m[1]}`).to.equal(false);
      }
    }
  });

  it('carries iptables and iproute2 for the istio-init container', async () => {
    const run = runtime().body.filter((i) => i.keyword === 'RUN').map((i) => i.args).join(' ');
    expect(run).to.match(/apt-get install[^&]*\biptables\b/);
    expect(run).to.match(/apt-get install[^&]*\biproute2\b/);
  });

  it('runs non-root as the uid the Deployment sets, `node /app/dist/src/cli.js serve`', async () => {
    const [uid, gid] = one('USER').args.split(':').map(Number);
    expect(uid).to.be.greaterThan(0).and.not.equal(1337);
    const deploy = parse(readFileSync(join(REPO, 'manifests', 'deployment.yaml'), 'utf8'));
    expect(deploy.spec.template.spec.securityContext).to.include({ runAsUser: uid, runAsGroup: gid });
    expect(JSON.parse(one('ENTRYPOINT').args)).to.deep.equal(['node', '/app/dist/src/cli.js']);
    expect(JSON.parse(one('CMD').args)).to.deep.equal(['serve']);
    expect(one('WORKDIR').args).to.equal('/app');
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
    expect(`/app/${pkg.bin.mizzen}`).to.equal('/app/dist/src/cli.js');
    expect(one('EXPOSE').args.split(/\s+/).map(Number)).to.have.members([Ports.webhook, Ports.xdsPlaintext, Ports.xdsTls, Ports.monitoring]);
  });

  it('is the image the Makefile builds, the Deployment runs and the injector uses for istio-init', async () => {
    const image = /^IMAGE \?= (\S+)$/m.exec(readFileSync(join(REPO, 'Makefile'), 'utf8'))?.[1];
    const deploy = parse(readFileSync(join(REPO, 'manifests', 'deployment.yaml'), 'utf8'));
    expect(deploy.spec.template.spec.containers[0].image).to.equal(image);
    expect(DEFAULT_MESH_CONFIG.initImage).to.equal(image);
  });
});
