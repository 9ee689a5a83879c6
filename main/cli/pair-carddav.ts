// `concord device pair carddav NAME --user U --password P [--data DIR]`.
import { CarddavPairError, pairCarddavAccount } from '../devices/carddav/pair';
import { UsageError } from './args';
import type { Command } from './command';
import { pairAccountArgs, whilePairing } from './devices';

export const pairCarddavCommand: Command = {
  words: ['device', 'pair', 'carddav'],
  args: 'NAME --user U --password P [--data DIR]',
  summary: 'pair a CardDAV account (a Mac, iPhone, DAVx5, Thunderbird) without the UI',
  run: async (argv) => {
    const { name, user, password, data } = pairAccountArgs(argv, 'the account name');
    return whilePairing(data, (hub) => {
      try {
        const d = pairCarddavAccount(hub, name, user, password);
        process.stdout.write(`paired CardDAV account "${d.name}" (${d.spid}) for user ${user}; its address book is /dav/${encodeURIComponent(user)}/contacts/ on the LAN port\n`);
        return 0;
      } catch (e) {
        if (e instanceof CarddavPairError) throw new UsageError(e.message);
        throw e;
      }
    });
  },
};
