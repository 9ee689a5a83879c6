// `concord contacts export` and `concord contacts import`: the truth out of and into the
// hub as files.
import fs from 'node:fs';
import { fromContact } from '../scenario/format';
import { applyImport, planImport } from '../api/import';
import { writeCards } from '../api/vcard';
import { oneOfValue, parseCommandArgs, UsageError } from './args';
import type { Command } from './command';
import { withHub } from './hub';

export const contactsExportCommand: Command = {
  words: ['contacts', 'export'],
  args: '[--format json|vcf] [--vcard-version 2.1|3.0|4.0] [--data DIR]',
  summary: 'print the truth (vCard 3.0 unless another version is asked for)',
  run: async (argv) => {
    const { values } = parseCommandArgs(argv, { format: { type: 'string' }, 'vcard-version': { type: 'string' }, data: { type: 'string' } });
    const format = oneOfValue('--format', values.format ?? 'json', ['json', 'vcf']);
    const version = oneOfValue('--vcard-version', values['vcard-version'] ?? '3.0', ['2.1', '3.0', '4.0']);
    if (values['vcard-version'] !== undefined && format !== 'vcf') throw new UsageError('--vcard-version needs --format vcf');
    return withHub(values.data, async (hub) => {
      const contacts = hub.contacts();
      if (format === 'json') {
        process.stdout.write(`${JSON.stringify(contacts.map((r) => fromContact(r.contact)), null, 2)}\n`);
      } else {
        process.stdout.write(writeCards(contacts.map((r) => ({ contact: r.contact, uid: r.guid })), version));
      }
      return 0;
    });
  },
};

const ACTION_WORD = { add: 'add   ', update: 'update', skip: 'skip  ' } as const;

export const contactsImportCommand: Command = {
  words: ['contacts', 'import'],
  args: 'FILE.vcf [--dry-run] [--data DIR]',
  summary: 'import a vCard file (2.1, 3.0 or 4.0) as edits of the hub\'s editor',
  run: async (argv) => {
    const { values, positionals } = parseCommandArgs(argv, { 'dry-run': { type: 'boolean' }, data: { type: 'string' } }, { min: 1, max: 1, names: 'the vCard file' });
    const file = positionals[0]!;
    let bytes: Uint8Array;
    try {
      bytes = fs.readFileSync(file);
    } catch (e) {
      throw new Error(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, { cause: e });
    }
    // The hub owns its folder: its editor and runs are its own while it runs.
    return withHub(
      values.data,
      async (hub) => {
        const plan = planImport(hub, bytes);
        for (const item of plan.preview.items) process.stdout.write(`${ACTION_WORD[item.action]}  card ${item.index + 1}  ${item.name}: ${item.reason}\n`);
        for (const e of plan.preview.errors) process.stderr.write(`concord contacts import: ${e}\n`);
        if (plan.preview.items.length === 0) {
          process.stderr.write(`concord contacts import: ${file} holds no contact that could be read; nothing imported.\n`);
          return 1;
        }
        const { add, update, skip } = plan.preview.counts;
        if (values['dry-run']) {
          process.stdout.write(`Would add ${add}, update ${update} and skip ${skip}; nothing was changed (--dry-run).\n`);
          return 0;
        }
        const out = applyImport(plan, hub.editor);
        // The editor's edits are reconciled into the truth at the next run: this one, of the
        // editor alone; each device receives them at its own next sync.
        if (out.added + out.updated > 0) await hub.sync([]);
        process.stdout.write(`Added ${out.added}, updated ${out.updated}, skipped ${out.skipped}. Each device receives the changes at its next sync.\n`);
        return 0;
      },
      { write: true, inItsUi: 'import the file in its UI (Contacts → Import)' },
    );
  },
};
