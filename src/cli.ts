#!/usr/bin/env node
/**
 * mizzen's command line. Each command lives in src/cmd/<name>.ts and exports
 * `run(argv: string[]): Promise<number>` (the exit code); this file only dispatches.
 */
const COMMANDS: Record<string, string> = {
  serve: 'the control plane: webhooks, xDS, monitoring',
  'kube-inject': 'inject sidecars into manifests offline (-f FILE|-)',
  validate: 'validate Istio resources offline (-f FILE|DIR ...)',
  analyze: 'cross-resource checks over directories of YAML',
  describe: 'what the mesh does with a pod or workload (describe pod NAME -f PATH)',
  certs: 'generate the webhook serving certificate and the mesh CA',
  'workload-cert': 'issue a workload mTLS certificate (SPIFFE) from the mesh CA',
  iptables: "the init container's traffic redirection (--dry-run prints the rules)",
  bootstrap: 'print the Envoy (or --grpc) bootstrap for a proxy',
  'proxy-status': 'each connected proxy and its sync state per type',
  'proxy-config': "a proxy's clusters, listeners, routes or endpoints as JSON",
  precheck: 'check a cluster before installing',
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return ['usage: mizzen <command> [flags]', '', 'commands:', ...Object.entries(COMMANDS).map(([c, d]) => `  ${c.padEnd(width)}  ${d}`), '', "'mizzen <command> --help' for a command's flags"].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  if (!(name in COMMANDS)) {
    process.stderr.write(`mizzen: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  const mod = (await import(`./cmd/${name}.js`)) as { run: (argv: string[]) => Promise<number> };
  return mod.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`mizzen: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
