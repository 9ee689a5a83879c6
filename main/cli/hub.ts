// Opening the hub for one command: the data folder (`--data DIR`, else the one rule of
// main/app/paths.ts), closed again whatever happens. A command that changes the contacts
// (`write`) first takes the folder's lock (folder-lock.ts), so it never runs beside a hub
// that owns the folder: the running hub's UI does the same work instead.
import { mkdirSync } from 'node:fs';
import { lockFolder, type FolderLock } from '../app/folder-lock';
import { dataDirOf } from '../app/paths';
import { Hub } from '../hub/hub';

export async function withHub<T>(data: string | undefined, fn: (hub: Hub, dataDir: string) => T | Promise<T>, opts: { write?: boolean } = {}): Promise<T> {
  const dataDir = dataDirOf(data);
  let lock: FolderLock | null = null;
  if (opts.write) {
    mkdirSync(dataDir, { recursive: true });
    lock = lockFolder(dataDir);
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
