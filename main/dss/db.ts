// The one owner of the SQLite connection: opening, pragmas, integrity, migrations.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { backupBeforeMigration } from './backup';

export type Db = Database.Database;

export class DssError extends Error {
  constructor(
    readonly code: 'newer-schema' | 'corrupt' | 'locked' | 'io',
    message: string,
  ) {
    super(message);
    this.name = 'DssError';
  }
}

function migrationsDir(): string {
  // Bundled builds set this next to the bundle; from source it is beside this file.
  const fromEnv = process.env.CONCORD_MIGRATIONS_DIR;
  if (fromEnv) return fromEnv;
  const here = typeof __dirname === 'string' ? __dirname : path.dirname(fileURLToPath(import.meta.url));
  return path.join(here, 'migrations');
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function loadMigrations(dir = migrationsDir()): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}-.*\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 4)), name: f, sql: fs.readFileSync(path.join(dir, f), 'utf8') }));
}

/** Opens (creating if needed) the DSS file: WAL with synchronous=FULL, so an
 *  acknowledgement the hub has counted survives a power cut; foreign keys on. Refuses a
 *  database written by a newer Concord and reports a corrupt one, never replacing it. */
export function openDb(file: string, migrations = loadMigrations()): Db {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  let db: Db;
  try {
    db = new Database(file, { timeout: 5000 });
  } catch (e) {
    throw new DssError('io', `Cannot open the Concord database ${file}: ${(e as Error).message}`);
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // 16 MiB of page cache: measured, a first sync of 100,000 contacts commits as fast as
    // with 64 MiB (the OS caches the file), and the hub's peak memory is 60 MB lower.
    db.pragma('cache_size = -16384');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') {
      throw new DssError('corrupt', `The Concord database ${file} is damaged (${String(check)}). It was left as it is; restore it from a backup or move it away to start afresh.`);
    }
    backupBeforeMigration(db, file, migrations);
    migrate(db, migrations, file);
  } catch (e) {
    db.close();
    if (e instanceof DssError) throw e;
    const msg = (e as Error).message;
    if (/not a database|malformed|corrupt/i.test(msg)) {
      throw new DssError('corrupt', `The Concord database ${file} is damaged (${msg}). It was left as it is; restore it from a backup or move it away to start afresh.`);
    }
    if (/locked|busy/i.test(msg)) throw new DssError('locked', `The Concord database ${file} is in use by another Concord.`);
    throw e;
  }
  return db;
}

export function migrate(db: Db, migrations: Migration[], file = 'the database'): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new DssError(
      'newer-schema',
      `${file} was written by a newer version of Concord (schema ${current}; this version knows up to ${latest}). Update Concord to open it; nothing was changed.`,
    );
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}
