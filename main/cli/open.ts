// `concord open [--data DIR] [--no-browser]`: opens the UI of the hub running on the data
// folder in the default browser, and prints its address.
import { spawn } from 'node:child_process';
import { dataDirOf } from '../app/paths';
import { folderOwner } from '../app/folder-lock';
import { parseCommandArgs } from './args';
import type { Command } from './command';

/** The platform's "open this address" command. */
export function openerFor(platform: NodeJS.Platform = process.platform): [string, string[]] {
  if (platform === 'darwin') return ['open', []];
  if (platform === 'win32') return ['cmd', ['/c', 'start', '""']];
  return ['xdg-open', []];
}

function openInBrowser(url: string): Promise<boolean> {
  const [cmd, pre] = openerFor();
  return new Promise((resolve) => {
    try {
      const child = spawn(cmd, [...pre, url], { stdio: 'ignore', detached: true });
      child.once('error', () => resolve(false));
      child.once('spawn', () => {
        child.unref();
        resolve(true);
      });
    } catch {
      resolve(false);
    }
  });
}

export const openCommand: Command = {
  words: ['open'],
  args: '[--data DIR] [--no-browser]',
  summary: 'open the running hub\'s UI in the browser (and print its address)',
  run: async (argv) => {
    const { values } = parseCommandArgs(argv, { data: { type: 'string' }, 'no-browser': { type: 'boolean' } });
    const dataDir = dataDirOf(values.data);
    const owner = folderOwner(dataDir);
    if (!owner) {
      process.stderr.write(`concord open: the hub is not running on ${dataDir}. Start it with \`concord serve${values.data ? ` --data ${dataDir}` : ''}\` (or \`npm run hub\` for the demo), then run \`concord open\` again.\n`);
      return 1;
    }
    if (!owner.url) {
      process.stderr.write(`concord open: the hub on ${dataDir} (process ${owner.pid}) has no UI address yet (it is starting, or it is the desktop app, which has its own window).\n`);
      return 1;
    }
    process.stdout.write(`${owner.url}\n`);
    if (!values['no-browser'] && !(await openInBrowser(owner.url))) {
      process.stderr.write('concord open: no browser could be started here; open the address above in one.\n');
    }
    return 0;
  },
};
