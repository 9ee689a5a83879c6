// Where Concord keeps its data on each platform (shared by the headless hub and the app, so
// both open the same DSS — one at a time: the hub owns its database).
import os from 'node:os';
import path from 'node:path';

/** The per-user data folder: Linux $XDG_DATA_HOME/concord (~/.local/share/concord), macOS
 *  ~/Library/Application Support/Concord, Windows %APPDATA%\Concord. */
export function defaultDataDir(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  switch (platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'Concord');
    case 'win32':
      return path.win32.join(env.APPDATA || path.win32.join(home, 'AppData', 'Roaming'), 'Concord');
    default:
      return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'concord');
  }
}
