// `concord sim handset --link PATH …`: the AT handset simulator as a process of its own,
// serving a serial link (one end of a socat pty pair) until SIGINT/SIGTERM.
import fs from 'node:fs';
import { charsetOf } from '../devices/at-phonebook/charset';
import { parseFaults, parseStorages, SimHandset, type SimHandsetOptions } from '../devices/at-phonebook/simulator';
import { intValue, parseCommandArgs, UsageError } from './args';
import type { Command } from './command';

const OPTIONS = {
  link: { type: 'string' },
  storage: { type: 'string' },
  charsets: { type: 'string' },
  'name-length': { type: 'string' },
  baud: { type: 'string' },
  fill: { type: 'string' },
  faults: { type: 'string' },
  imei: { type: 'string' },
  imsi: { type: 'string' },
  seed: { type: 'string' },
} as const;

/** The handset the command line describes (pure: no link is opened). */
export function parseSimArgs(argv: readonly string[]): SimHandsetOptions & { link: string } {
  const { values: v } = parseCommandArgs(argv, OPTIONS);
  if (!v.link) throw new UsageError('--link is missing');
  const nameLength = v['name-length'] !== undefined ? intValue('--name-length', v['name-length'], 1, 255) : 14;
  const storageArg = v.storage ?? 'SM:250,ME:1000';
  if (!/^[A-Za-z]{2}:\d+(:\d+)?(,[A-Za-z]{2}:\d+(:\d+)?)*$/.test(storageArg)) throw new UsageError(`--storage must be like SM:250,ME:1000 (not "${storageArg}")`);
  const storages = parseStorages(storageArg, nameLength);
  const charsets = (v.charsets ?? 'GSM,UCS2').split(',').map((c) => {
    const cs = charsetOf(c);
    if (!cs) throw new UsageError(`--charsets: unknown charset ${c}`);
    return cs;
  });
  const fill: Record<string, number> = {};
  if (v.fill !== undefined) {
    if (/^\d+$/.test(v.fill)) for (const s of storages) fill[s.name] = Math.min(Number(v.fill), s.size);
    else if (/^[A-Za-z]{2}:\d+(,[A-Za-z]{2}:\d+)*$/.test(v.fill)) for (const part of v.fill.split(',')) fill[part.split(':')[0]!.toUpperCase()] = Number(part.split(':')[1]);
    else throw new UsageError(`--fill must be a number or like SM:30,ME:40 (not "${v.fill}")`);
  }
  let faults;
  try {
    faults = parseFaults(v.faults ?? '');
  } catch (e) {
    throw new UsageError(`--faults: ${(e as Error).message}`);
  }
  return {
    link: v.link,
    storages,
    charsets,
    baud: v.baud !== undefined ? intValue('--baud', v.baud, 0, 4_000_000, 'a line speed') : 115200,
    fill,
    faults,
    ...(v.imei !== undefined ? { imei: v.imei } : {}),
    ...(v.imsi !== undefined ? { imsi: v.imsi } : {}),
    ...(v.seed !== undefined ? { seed: intValue('--seed', v.seed, 0, 2 ** 32 - 1) } : {}),
  };
}

/** Serves the link until SIGINT/SIGTERM. A link that goes away (socat restarted) is served
 *  again when its path reappears, with the phonebook kept, as a phone plugged in again. */
export async function runSimHandset(argv: readonly string[]): Promise<number> {
  const opts = parseSimArgs(argv);
  const h = new SimHandset(opts);
  let stop = false;
  const onSignal = () => {
    stop = true;
    void h.drop();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const sizes = [...h.storages.values()].map((s) => `${s.name}:${s.entries.size}/${s.size}`).join(' ');
  process.stderr.write(`sim handset IMEI ${h.imei} on ${opts.link} (${sizes}; charsets ${h.offered.join(',')}; ${opts.baud} baud)\n`);
  while (!stop) {
    if (!fs.existsSync(opts.link)) {
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    try {
      h.serve(opts.link);
    } catch (err) {
      process.stderr.write(`cannot open ${opts.link}: ${(err as Error).message}\n`);
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    await h.whenDetached();
    if (!stop) await new Promise((r) => setTimeout(r, 200));
  }
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return 0;
}

export const simHandsetCommand: Command = {
  words: ['sim', 'handset'],
  args: '--link PATH [--storage SM:250,ME:1000] [--charsets GSM,UCS2] [--name-length 14] [--baud 115200] [--fill N|SM:N,ME:N] [--faults drop-after:N,busy:N:MS,garble:N,stall-after:N,full-after:K,urc:K] [--imei N] [--imsi N] [--seed N]',
  summary: 'a simulated AT phone on a serial link',
  run: runSimHandset,
};
