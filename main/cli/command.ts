// A `concord` command: the words that name it, its usage line, and what it does. The
// command line (main.ts) is a table of these; a new command is one file and one line there.
export interface Command {
  /** The words that name it: ['contacts', 'import']. */
  words: readonly string[];
  /** The arguments after the words, for the usage line: 'FILE.vcf [--data DIR]'. */
  args: string;
  /** One line: what it does. */
  summary: string;
  /** Runs it on the arguments after its words; resolves to the exit status. Throws
   *  UsageError (args.ts) for a bad command line. */
  run(argv: readonly string[]): Promise<number>;
}

export const usageOf = (c: Command): string => `usage: concord ${c.words.join(' ')} ${c.args}`.trimEnd();
