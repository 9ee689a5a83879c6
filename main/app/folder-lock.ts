// The hub owns its data folder: `concord serve` and the app hold `hub.lock` in it for as
// long as they run (the process id, the machine, and the UI's address once it listens), so
// a command that writes (`concord contacts import`) refuses to run beside a hub, and
// `concord open` finds the running hub's UI. A lock whose process is gone (a crash, a power
// cut) is taken over.
import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface LockInfo {
  pid: number;
  host: string;
  startedAt: number;
  /** The UI's address (with its access token), once the server listens. */
  url?: string;
}

export class FolderLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: LockInfo,
    /** What to do in the running hub's UI instead ("import the file in its UI (…)"). */
    instead = 'do this in its UI',
  ) {
    super(
      `the data folder ${dataDir} is in use by a running Concord hub (process ${owner.pid}${owner.host !== os.hostname() ? ` on ${owner.host}` : ''}). ` +
        `Stop it first (Ctrl+C where \`concord serve\` runs, or quit the app), or ${instead}.`,
    );
    this.name = 'FolderLockedError';
  }
}

export const lockFile = (dataDir: string): string => path.join(dataDir, 'hub.lock');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function read(file: string): LockInfo | null {
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
    return typeof info.pid === 'number' ? info : null;
  } catch {
    return null;
  }
}

/** The hub that owns the folder now, or null (no lock, or its process is gone). A lock
 *  from another machine (a folder on a network share) is taken as live. */
export function folderOwner(dataDir: string): LockInfo | null {
  const info = read(lockFile(dataDir));
  if (!info) return null;
  if (info.host === os.hostname() && !alive(info.pid)) return null;
  return info;
}

export interface FolderLock {
  info(): LockInfo;
  /** Adds to what the lock says (the UI's address once the server listens). */
  update(more: Partial<Pick<LockInfo, 'url'>>): void;
  release(): void;
}

/** Takes the folder for this process; FolderLockedError when a live hub has it. */
export function lockFolder(dataDir: string, now = Date.now()): FolderLock {
  const file = lockFile(dataDir);
  let info: LockInfo = { pid: process.pid, host: os.hostname(), startedAt: now };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      try {
        writeSync(fd, JSON.stringify(info));
      } finally {
        closeSync(fd);
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
      const owner = folderOwner(dataDir);
      if (owner) throw new FolderLockedError(dataDir, owner);
      rmSync(file, { force: true }); // left by a hub that is gone
    }
  }
  let released = false;
  return {
    info: () => info,
    update: (more) => {
      info = { ...info, ...more };
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(info), { mode: 0o600 });
      renameSync(tmp, file);
    },
    release: () => {
      if (released) return;
      released = true;
      if (read(file)?.pid === process.pid && existsSync(file)) rmSync(file, { force: true });
    },
  };
}
