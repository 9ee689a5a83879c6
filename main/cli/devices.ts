// `concord devices list` and `concord device pair syncml`.
import { pairSyncmlDevice } from '../devices/syncml/pair';
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

export const pairSyncmlCommand: Command = {
  words: ['device', 'pair', 'syncml'],
  args: 'NAME --user U --password P [--data DIR]',
  summary: 'pair a SyncML client without the UI',
  run: async (argv) => {
    const { values, positionals } = parseCommandArgs(
      argv,
      { user: { type: 'string' }, password: { type: 'string' }, data: { type: 'string' } },
      { min: 1, max: 1, names: 'the device name' },
    );
    const { user, password } = values;
    if (user === undefined) throw new UsageError('--user is missing');
    if (password === undefined) throw new UsageError('--password is missing');
    return withHub(values.data, (hub) => {
      const d = pairSyncmlDevice(hub, positionals[0]!, user, password);
      process.stdout.write(`paired SyncML device "${d.name}" (${d.spid}) for user ${user}\n`);
      return 0;
    });
  },
};
