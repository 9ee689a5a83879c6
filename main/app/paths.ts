// Where Concord keeps its data: the one rule every command follows (`concord serve`, every
// `concord …` command and the desktop app open the same DSS — one at a time: the hub owns
// its folder, main/app/folder-lock.ts).
import os from 'node:os';
import path from 'node:path';

/** The data folder: `$CONCORD_DATA` when set, else the per-user data folder of the
 *  platform: Linux $XDG_DATA_HOME/concord (~/.local/share/concord), macOS
 *  ~/Library/Application Support/Concord, Windows %APPDATA%\Concord. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = os.homedir()): string {
  if (env.CONCORD_DATA) return path.resolve(env.CONCORD_DATA);
  switch (platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'Concord');
    case 'win32':
      return path.win32.join(env.APPDATA || path.win32.join(home, 'AppData', 'Roaming'), 'Concord');
    default:
      return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'concord');
  }
}

/** `--data DIR` when given (relative to the working folder), else the default. */
export function dataDirOf(given: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return given !== undefined ? path.resolve(given) : defaultDataDir(env);
}
