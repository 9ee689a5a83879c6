// `concord device pair carddav NAME --user U --password P [--data DIR]`.
import { CarddavPairError, pairCarddavAccount } from '../devices/carddav/pair';
import { parseCommandArgs, UsageError } from './args';
import type { Command } from './command';
import { withHub } from './hub';

export const pairCarddavCommand: Command = {
  words: ['device', 'pair', 'carddav'],
  args: 'NAME --user U --password P [--data DIR]',
  summary: 'pair a CardDAV account (a Mac, iPhone, DAVx5, Thunderbird) without the UI',
  run: async (argv) => {
    const { values, positionals } = parseCommandArgs(
      argv,
      { user: { type: 'string' }, password: { type: 'string' }, data: { type: 'string' } },
      { min: 1, max: 1, names: 'the account name' },
    );
    const { user, password } = values;
    if (user === undefined) throw new UsageError('--user is missing');
    if (password === undefined) throw new UsageError('--password is missing');
    return withHub(values.data, (hub) => {
      try {
        const d = pairCarddavAccount(hub, positionals[0]!, user, password);
        process.stdout.write(`paired CardDAV account "${d.name}" (${d.spid}) for user ${user}; its address book is /dav/${encodeURIComponent(user)}/contacts/ on the LAN port\n`);
        return 0;
      } catch (e) {
        if (e instanceof CarddavPairError) throw new UsageError(e.message);
        throw e;
      }
    });
  },
};
