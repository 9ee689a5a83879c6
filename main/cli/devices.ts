// `concord devices list` and `concord device pair syncml`; what every `device pair` command
// shares (its arguments, the folder's lock) is here too.
import { pairSyncmlDevice } from '../devices/syncml/pair';
import type { Hub } from '../hub/hub';
import { parseCommandArgs, UsageError } from './args';
import type { Command } from './command';
import { withHub } from './hub';

export const devicesListCommand: Command = {
  words: ['devices', 'list'],
  args: '[--data DIR]',
  summary: 'paired devices and their pending work',
  run: async (argv) => {
    const { values } = parseCommandArgs(argv, { data: { type: 'string' } });
    return withHub(values.data, (hub) => {
      for (const d of hub.devices()) {
        const p = d.pending;
        process.stdout.write(`${d.spid}\t${d.name}\t${d.kind}/${d.link}\tpriority ${d.priority}\tpending ${p.add} add, ${p.update} update, ${p.delete} delete\n`);
      }
      return 0;
    });
  },
};

/** `NAME --user U --password P [--data DIR]`, as every account a device signs in with. */
export function pairAccountArgs(argv: readonly string[], names: string): { name: string; user: string; password: string; data: string | undefined } {
  const { values, positionals } = parseCommandArgs(argv, { user: { type: 'string' }, password: { type: 'string' }, data: { type: 'string' } }, { min: 1, max: 1, names });
  const { user, password } = values;
  if (user === undefined) throw new UsageError('--user is missing');
  if (password === undefined) throw new UsageError('--password is missing');
  return { name: positionals[0]!, user, password, data: values.data };
}

/** Pairing writes the DSS: it takes the folder's lock, and beside a running hub it refuses
 *  and points at the hub's own pairing. */
export function whilePairing<T>(data: string | undefined, fn: (hub: Hub) => T | Promise<T>): Promise<T> {
  return withHub(data, fn, { write: true, inItsUi: 'pair the device in its UI (Devices → Add a device)' });
}

export const pairSyncmlCommand: Command = {
  words: ['device', 'pair', 'syncml'],
  args: 'NAME --user U --password P [--data DIR]',
  summary: 'pair a SyncML client without the UI',
  run: async (argv) => {
    const { name, user, password, data } = pairAccountArgs(argv, 'the device name');
    return whilePairing(data, (hub) => {
      const d = pairSyncmlDevice(hub, name, user, password);
      process.stdout.write(`paired SyncML device "${d.name}" (${d.spid}) for user ${user}\n`);
      return 0;
    });
  },
};
