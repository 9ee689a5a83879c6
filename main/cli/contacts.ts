// `concord contacts export` (and import): the truth out of and into the hub as files.
import { fromContact } from '../scenario/format';
import { oneOfValue, parseCommandArgs } from './args';
import type { Command } from './command';
import { withHub } from './hub';

export const contactsExportCommand: Command = {
  words: ['contacts', 'export'],
  args: '[--format json|vcf] [--data DIR]',
  summary: 'print the truth',
  run: async (argv) => {
    const { values } = parseCommandArgs(argv, { format: { type: 'string' }, data: { type: 'string' } });
    const format = oneOfValue('--format', values.format ?? 'json', ['json', 'vcf']);
    return withHub(values.data, async (hub) => {
      const contacts = hub.contacts();
      if (format === 'json') {
        process.stdout.write(`${JSON.stringify(contacts.map((r) => fromContact(r.contact)), null, 2)}\n`);
      } else {
        const { writeVCard } = await import('../core/vcard');
        for (const r of contacts) process.stdout.write(writeVCard(r.contact, '3.0', { uid: r.guid }));
      }
      return 0;
    });
  },
};
