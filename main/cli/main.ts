// The `concord` command line: a table of commands (command.ts), each parsing its own
// arguments strictly (args.ts). A bad command line prints what is wrong and the command's
// usage line (exit 2); a failure prints its reason (exit 1). Every command that touches a
// hub takes `--data DIR`, else the one data folder rule (main/app/paths.ts).
import { HelpRequested, UsageError } from './args';
import { usageOf, type Command } from './command';
import { contactsExportCommand, contactsImportCommand } from './contacts';
import { devicesListCommand, pairSyncmlCommand } from './devices';
import { openCommand } from './open';
import { pairCarddavCommand } from './pair-carddav';
import { scenarioRunCommand } from './scenario';
import { serveCommand } from './serve';
import { simHandsetCommand } from './sim';
import { safetyCommands } from './safety';

export const COMMANDS: readonly Command[] = [
  serveCommand,
  openCommand,
  scenarioRunCommand,
  contactsExportCommand,
  contactsImportCommand,
  devicesListCommand,
  pairSyncmlCommand,
  pairCarddavCommand,
  simHandsetCommand,
  ...safetyCommands(),
];

export function usage(commands: readonly Command[] = COMMANDS): string {
  const lines = commands.map((c) => [`${c.words.join(' ')} ${c.args}`.trimEnd(), c.summary] as const);
  const width = Math.min(60, Math.max(...lines.map(([l]) => l.length)));
  const shown = lines.map(([l, s]) => (l.length > width ? `  ${l}\n  ${' '.repeat(width)}  ${s}` : `  ${l.padEnd(width)}  ${s}`));
  return `usage: concord <command> [options]\n\n${shown.join('\n')}\n\nconcord <command> --help prints the command's own usage.\n`;
}

/** The command named by the longest run of leading words. */
export function findCommand(argv: readonly string[], commands: readonly Command[] = COMMANDS): Command | undefined {
  let best: Command | undefined;
  for (const c of commands) {
    if (c.words.every((w, i) => argv[i] === w) && (!best || c.words.length > best.words.length)) best = c;
  }
  return best;
}

export async function main(argv: readonly string[], commands: readonly Command[] = COMMANDS): Promise<number> {
  const first = argv[0];
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    (first === undefined ? process.stderr : process.stdout).write(usage(commands));
    return first === undefined ? 2 : 0;
  }
  const cmd = findCommand(argv, commands);
  if (!cmd) {
    process.stderr.write(`concord: unknown command "${argv.join(' ')}"\n${usage(commands)}`);
    return 2;
  }
  const name = `concord ${cmd.words.join(' ')}`;
  try {
    return await cmd.run(argv.slice(cmd.words.length));
  } catch (e) {
    if (e instanceof HelpRequested) {
      process.stdout.write(`${usageOf(cmd)}\n`);
      return 0;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`${name}: ${e.message}\n${usageOf(cmd)}\n`);
      return 2;
    }
    process.stderr.write(`${name}: ${(e as Error).message}\n`);
    return 1;
  }
}
