// Opening the hub for one command: the data folder (`--data DIR`, else the one rule of
// main/app/paths.ts), closed again whatever happens. A command that changes the contacts
// (`write`) first takes the folder's lock (folder-lock.ts), so it never runs beside a hub
// that owns the folder: the running hub's UI does the same work instead, and the refusal
// says where (`inItsUi`).
import { mkdirSync } from 'node:fs';
import { FolderLockedError, lockFolder, type FolderLock } from '../app/folder-lock';
import { dataDirOf } from '../app/paths';
import { Hub } from '../hub/hub';

export interface WithHubOptions {
  /** The command writes the DSS: it takes the folder's lock first. */
  write?: boolean;
  /** What to do in the running hub's UI instead, said when the folder is in use
   *  ("import the file in its UI (Contacts → Import)"). */
  inItsUi?: string;
}

export async function withHub<T>(data: string | undefined, fn: (hub: Hub, dataDir: string) => T | Promise<T>, opts: WithHubOptions = {}): Promise<T> {
  const dataDir = dataDirOf(data);
  let lock: FolderLock | null = null;
  if (opts.write) {
    mkdirSync(dataDir, { recursive: true });
    try {
      lock = lockFolder(dataDir);
    } catch (e) {
      if (e instanceof FolderLockedError && opts.inItsUi) throw new FolderLockedError(e.dataDir, e.owner, opts.inItsUi);
      throw e;
    }
  }
  try {
    const hub = Hub.open({ dataDir });
    try {
      return await fn(hub, dataDir);
    } finally {
      await hub.close();
    }
  } finally {
    lock?.release();
  }
}
