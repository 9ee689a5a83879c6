// The UI's address, kept in the data folder: the port and the access token of `concord
// serve`, so a bookmark or an open tab still works after a restart. A new token is made on
// request (`concord serve --new-token`), which shuts out every page that had the old one.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface UiAccess {
  port: number;
  token: string;
}

export const uiAccessFile = (dataDir: string): string => path.join(dataDir, 'ui-access.json');

/** What the last start kept, or null (first start, or a file that cannot be read). */
export function loadUiAccess(dataDir: string): UiAccess | null {
  try {
    const a = JSON.parse(readFileSync(uiAccessFile(dataDir), 'utf8')) as Partial<UiAccess>;
    if (typeof a.port !== 'number' || !Number.isInteger(a.port) || a.port < 1 || a.port > 65535) return null;
    if (typeof a.token !== 'string' || !/^[A-Za-z0-9_-]{20,200}$/.test(a.token)) return null;
    return { port: a.port, token: a.token };
  } catch {
    return null;
  }
}

/** Kept readable by the user only: the token opens the hub. */
export function saveUiAccess(dataDir: string, a: UiAccess): void {
  const file = uiAccessFile(dataDir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(a)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}
