// `concord contacts export` (and import): the truth out of and into the hub as files.
import { fromContact } from '../scenario/format';
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
