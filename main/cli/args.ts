// The one argument parser of every `concord` command: Node's util.parseArgs, strict. An
// unknown flag, a missing value, a stray argument or a bad value is a UsageError, which the
// command line prints with the command's usage line (exit status 2).
import path from 'node:path';
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `--help` / `-h` was given: print the usage line, exit 0. */
export class HelpRequested extends Error {}

export type OptionSpec = { type: 'string'; short?: string; multiple?: false } | { type: 'boolean'; short?: string; multiple?: false };
export type OptionSpecs = Record<string, OptionSpec>;

type Values<O extends OptionSpecs> = { [K in keyof O]?: O[K]['type'] extends 'string' ? string : boolean };

export interface Parsed<O extends OptionSpecs> {
  values: Values<O>;
  positionals: string[];
}

/** util.parseArgs' own messages, said as the rest of the command line says things. */
function usageMessage(e: Error & { code?: string }): string {
  const msg = e.message;
  const flag = /'(-[-\w]+)/.exec(msg)?.[1] ?? '';
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${flag || msg}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/argument missing|ambiguous/.test(msg)) return `${flag} needs a value`;
      if (/does not take an argument/.test(msg)) return `${flag} takes no value`;
      return msg;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${/'([^']*)'/.exec(msg)?.[1] ?? msg}`;
    default:
      return msg;
  }
}

/** Parses `argv` strictly against `options` (plus `--help`), with between `min` and `max`
 *  positional arguments. */
export function parseCommandArgs<const O extends OptionSpecs>(argv: readonly string[], options: O, positionals: { min?: number; max?: number; names?: string } = {}): Parsed<O> {
  let r: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    r = parseArgs({ args: [...argv], options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: (positionals.max ?? 0) > 0 }) as typeof r;
  } catch (e) {
    throw new UsageError(usageMessage(e as Error & { code?: string }));
  }
  if (r.values.help) throw new HelpRequested();
  const { min = 0, max = 0 } = positionals;
  if (r.positionals.length < min) throw new UsageError(`${positionals.names ?? 'an argument'} is missing`);
  if (r.positionals.length > max) throw new UsageError(`unexpected argument ${r.positionals[max]}`);
  return { values: r.values as Values<O>, positionals: r.positionals };
}

/** A whole number from `min` to `max`, or a UsageError naming the flag. */
export function intValue(flag: string, v: string, min: number, max: number, what = 'a number'): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${flag} must be ${what} from ${min} to ${max} (not "${v}")`);
  return n;
}

export const portValue = (flag: string, v: string): number => intValue(flag, v, 0, 65535);

/** One of `choices`, or a UsageError naming the flag. */
export function oneOfValue<const T extends string>(flag: string, v: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(v)) throw new UsageError(`${flag} must be ${choices.join(', ').replace(/, ([^,]*)$/, ' or $1')} (not "${v}")`);
  return v as T;
}

/** `--data DIR`, resolved against the working folder. */
export const dataValue = (v: string | undefined): string | undefined => (v === undefined ? undefined : path.resolve(v));
