// Where the hub keeps its data by default: the platform's per-user data folder.
import os from 'node:os';
import path from 'node:path';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.CONCORD_DATA) return env.CONCORD_DATA;
  const home = os.homedir();
  switch (platform) {
    case 'win32':
      return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Concord');
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'Concord');
    default:
      return path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'concord');
  }
}
