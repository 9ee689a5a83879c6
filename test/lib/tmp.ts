// Temporary folders for tests: always under the system temp folder, always named
// `concord-<tag>-…`, so a leftover is recognisable.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function tmpDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `concord-${tag}-`));
}
