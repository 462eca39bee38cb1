/** Flag parsing shared by the commands: node's parseArgs, with errors turned into a usage message. */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export type Options = NonNullable<ParseArgsConfig['options']>;

export class UsageError extends Error {}

/** Parses argv against `options`; throws UsageError with a readable message on an unknown or malformed flag. */
export function parseFlags<O extends Options>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Runs a command body, printing usage errors to stderr with exit code 2. */
export async function withUsage(help: string, argv: string[], body: () => Promise<number>): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(help.trimEnd() + '\n');
    return 0;
  }
  try {
    return await body();
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n\n${help.trimEnd()}\n`);
      return 2;
    }
    throw e;
  }
}
