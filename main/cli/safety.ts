// The safety net on the command line: the history of runs and their undo, recently deleted
// contacts, held mass deletions, backups. Every command takes `--data DIR`.
import type { Hub } from '../hub/hub';
import { nameOf } from '../hub/safety';
import { intValue, parseCommandArgs } from './args';
import { withHub } from './hub';

import type { Command as CliCommand } from './command';

type Command = (argv: string[]) => Promise<number>;

export const SAFETY_USAGE = `  runs list [--limit N] [--data DIR]                      the sync history, with what each run changed
  runs undo ID [--preview] [--data DIR]                   undo a sync on every device
  contacts deleted [--data DIR]                           recently deleted contacts
  contacts restore ID [--data DIR]                        restore a deleted contact
  holds list [--data DIR]                                 deletions held from a device
  holds approve DEVICE [--data DIR]                       delete the held contacts everywhere
  holds keep DEVICE [--data DIR]                          keep them (the device gets them back)
  backup [FILE] [--data DIR]                              copy the database (online backup)
  restore FILE [--yes] [--data DIR]                       make the contacts equal to a backup's
`;

const out = (s: string) => process.stdout.write(`${s}\n`);
const err = (s: string) => process.stderr.write(`${s}\n`);

const DATA = { data: { type: 'string' } } as const;

/** A command that changes the contacts: never beside a running hub (it owns the folder). */
const changing = <T>(data: string | undefined, fn: (hub: Hub) => T | Promise<T>): Promise<T> => withHub(data, fn, { write: true });

const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

/** Reconciles queued editor edits into the truth now; devices get them at their next sync. */
async function reconcileNow(hub: Hub): Promise<void> {
  const s = await hub.sync([]);
  if (s.outcome === 'failed') throw new Error(s.error ?? 'the sync failed');
}

const runsList: Command = async (argv) => {
  const { values } = parseCommandArgs(argv, { ...DATA, limit: { type: 'string' } });
  const limit = values.limit === undefined ? 50 : intValue('--limit', values.limit, 1, 1_000_000);
  return withHub(values.data, (hub) => {
    for (const r of hub.history(limit)) {
      const c = { added: 0, updated: 0, deleted: 0 };
      for (const e of hub.runChanges(r.id)) if (e.kind !== 'restored') c[e.kind] += 1;
      const undone = hub.runUndoneAt(r.id);
      const undid = hub.runUndid(r.id);
      const notes = [...(undone ? [`undone ${when(undone)}`] : []), ...undid.map((id) => `carried out the undo of ${id}`)];
      out(`${r.id}\t${when(r.startedAt)}\t${r.outcome}\t${r.devices.join(',') || '(editor)'}\t${c.added} added, ${c.updated} updated, ${c.deleted} deleted${notes.map((n) => `\t${n}`).join('')}`);
    }
    return 0;
  });
};

const runsUndo: Command = async (argv) => {
  const { values, positionals } = parseCommandArgs(argv, { ...DATA, preview: { type: 'boolean' } }, { min: 1, max: 1, names: 'ID' });
  const id = intValue('ID', positionals[0]!, 1, Number.MAX_SAFE_INTEGER, 'a sync number');
  return (values.preview ? withHub : changing)(values.data, async (hub) => {
    const p = values.preview ? hub.undoPreview(id) : hub.undoRun(id);
    if (p.undoneAt) out(`(sync ${id} was undone before, ${when(p.undoneAt)})`);
    for (const c of p.changes) out(`${c.edit === 'add' ? 'add back' : c.edit}\t${c.name}\t${c.devices.length ? `on ${c.devices.join(', ')}` : ''}`);
    for (const l of p.leftAlone) out(`left alone\t${l.name}\t${l.reason}`);
    if (p.changes.length === 0) out('Nothing to undo.');
    if (values.preview) return 0;
    await reconcileNow(hub);
    out(`Undone: ${p.changes.length} change(s); your devices get them at their next sync.`);
    return 0;
  });
};

const contactsDeleted: Command = async (argv) => {
  const { values } = parseCommandArgs(argv, DATA);
  return withHub(values.data, (hub) => {
    for (const d of hub.recentlyDeleted()) out(`${d.guid}\t${when(d.at)}\tby ${d.by}\t${nameOf(d.contact)}`);
    return 0;
  });
};

const contactsRestore: Command = async (argv) => {
  const { values, positionals } = parseCommandArgs(argv, DATA, { min: 1, max: 1, names: 'ID' });
  const id = positionals[0]!;
  return changing(values.data, async (hub) => {
    // A GUID, or an unambiguous start of one.
    const matches = hub.recentlyDeleted().filter((d) => d.guid === id || d.guid.startsWith(id));
    if (matches.length !== 1) {
      err(matches.length === 0 ? `concord: no recently deleted contact ${id}` : `concord: ${id} names ${matches.length} deleted contacts; give more of the id`);
      return 1;
    }
    const d = matches[0]!;
    const guid = hub.restoreContact(d.guid);
    await reconcileNow(hub);
    out(`Restored ${nameOf(d.contact)} as ${guid}; your devices get it at their next sync.`);
    return 0;
  });
};

/** A device named by its id or its name. */
function deviceArg(hub: Hub, name: string | undefined): string | undefined {
  if (!name) return undefined;
  const d = hub.devices().find((x) => x.spid === name) ?? hub.devices().filter((x) => x.name === name)[0];
  return d?.spid;
}

const holdsList: Command = async (argv) => {
  const { values } = parseCommandArgs(argv, DATA);
  return withHub(values.data, (hub) => {
    const held = hub.holds();
    if (held.length === 0) out('No deletions are held.');
    for (const h of held) {
      const name = hub.device(h.spid)?.name ?? h.spid;
      out(`${h.spid}	${name} deleted ${h.count} contact(s) (held since ${when(h.since)}${h.approved ? '; approved, deleted everywhere at the next sync' : ''}). Nothing was deleted elsewhere.`);
      for (const r of h.records) out(`	${r.guid}	${r.name}`);
    }
    return 0;
  });
};

function holdsAnswer(answer: 'approve' | 'keep'): Command {
  return async (argv) => {
    const { values, positionals } = parseCommandArgs(argv, DATA, { min: 1, max: 1, names: 'DEVICE' });
    return changing(values.data, async (hub) => {
      const spid = deviceArg(hub, positionals[0]);
      if (!spid) {
        err(`concord: no device ${positionals[0]} is paired`);
        return 1;
      }
      if (answer === 'approve') {
        const n = hub.approveHolds(spid);
        await reconcileNow(hub);
        out(`Deleted ${n} contact(s) everywhere; your other devices get the deletions at their next sync.`);
      } else {
        const n = hub.keepHolds(spid);
        out(`Kept ${n} contact(s); ${hub.device(spid)?.name ?? spid} gets them back at its next sync.`);
      }
      return 0;
    });
  };
}

const backup: Command = async (argv) => {
  const { values, positionals } = parseCommandArgs(argv, DATA, { max: 1 });
  return withHub(values.data, async (hub) => {
    const file = await hub.backup(positionals[0]);
    out(`Backed up to ${file}`);
    return 0;
  });
};

const restore: Command = async (argv) => {
  const { values, positionals } = parseCommandArgs(argv, { ...DATA, yes: { type: 'boolean' } }, { min: 1, max: 1, names: 'FILE' });
  const file = positionals[0]!;
  return (values.yes ? changing : withHub)(values.data, async (hub) => {
    const p = values.yes ? hub.restoreBackup(file) : hub.restoreBackupPreview(file);
    for (const a of p.add) out(`add\t${a.name}`);
    for (const u of p.update) out(`update\t${u.name}`);
    for (const d of p.delete) out(`delete\t${d.name}`);
    out(`${p.add.length} to add, ${p.update.length} to change, ${p.delete.length} to delete, ${p.unchanged} unchanged.`);
    if (!values.yes) {
      out('Nothing was changed. Run again with --yes to make your contacts equal to the backup on every device.');
      return 0;
    }
    await reconcileNow(hub);
    out('Restored; your devices get the changes at their next sync.');
    return 0;
  });
};

/** `concord runs|contacts|holds SUB ...` and `concord backup|restore ...`, by their words. */
export const SAFETY_COMMANDS: Record<string, Command> = {
  'runs list': runsList,
  'runs undo': runsUndo,
  'contacts deleted': contactsDeleted,
  'contacts restore': contactsRestore,
  'holds list': holdsList,
  'holds approve': holdsAnswer('approve'),
  'holds keep': holdsAnswer('keep'),
  backup,
  restore,
};

/** The command these words name, and the arguments after them. */
export function safetyCommand(argv: readonly string[]): { run: Command; rest: string[] } | undefined {
  const two = SAFETY_COMMANDS[`${argv[0]} ${argv[1]}`];
  if (two) return { run: two, rest: argv.slice(2) };
  const one = argv[0] === undefined ? undefined : SAFETY_COMMANDS[argv[0]];
  return one ? { run: one, rest: argv.slice(1) } : undefined;
}

/** The safety-net commands as entries of the command line's table, from their usage lines. */
export function safetyCommands(): CliCommand[] {
  const table: CliCommand[] = [];
  for (const line of SAFETY_USAGE.split('\n')) {
    const m = /^\s+(.*?)\s{2,}(\S.*)$/.exec(line);
    if (!m) continue;
    const tokens = m[1]!.split(' ');
    const n = tokens.findIndex((t) => !/^[a-z]+$/.test(t));
    const words = n < 0 ? tokens : tokens.slice(0, n);
    const run = SAFETY_COMMANDS[words.join(' ')];
    if (!run) continue;
    table.push({ words, args: n < 0 ? '' : tokens.slice(n).join(' '), summary: m[2]!, run: (argv) => run([...argv]) });
  }
  return table;
}
