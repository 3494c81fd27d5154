import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannels } from '#root/channels/index.js';
import {
  ADDRESS_FIELDS,
  addressColumn,
  CHANNEL_NAMES,
  CHANNEL_SPECS,
  channelOfWord,
  reachable,
  TYPED,
} from '#root/channels/registry.js';
import { loadConfig } from '#root/config.js';
import { workingCalendarForYears } from '#root/domain/working-days.js';
import { UserError } from '#root/errors/index.js';
import { Channel, Prisma } from '#root/generated/prisma/client.js';
import { createLogger } from '#root/logger.js';
import { CHAT_WORDS } from '#root/messages/chat-words.js';
import { loadTemplates, MESSAGES, renderMessage, type MessageName, type View } from '#root/messages/templates.js';
import {
  addContact,
  CONTACT_CHANNELS,
  findContact,
  setContactAddress,
  setContactChannels,
} from '#root/services/contacts.js';
import { loadBundles, type LoadedBundle, type LoadedItem } from '#root/services/delivery/load.js';
import { bundleMessage } from '#root/services/delivery/view.js';
import { parseTemplateRef } from '#root/services/templates.js';
import { buildMiniOrg } from '../helpers/builders.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { runCliInProcess } from '../helpers/run-cli.js';

/** What parsing a typed address may need: the configuration with a signing key (a webhook seals its secret). */
const ADDRESS_CTX = {
  config: { ...loadConfig({ DATABASE_URL: 'postgresql://x@127.0.0.1/x' }), SECRET_KEY: 'k'.repeat(43) },
};
const OPTIONS = { address: ADDRESS_CTX };

/** A value every escaper changes, and every plain part keeps. */
const NASTY = `<b>"Tom" & 'Jerry'</b>`;

/** A view with every field and list of a message filled with {@link NASTY}. */
function viewOf(message: MessageName): View {
  const spec = MESSAGES[message];
  const item = (fields: readonly string[]) => Object.fromEntries(fields.map((f) => [f, NASTY]));
  return {
    ...item(spec.fields),
    ...Object.fromEntries(Object.entries(spec.lists).map(([k, fields]) => [k, [item(fields)]])),
  };
}

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function item(n: number): LoadedItem {
  return {
    id: uuid(n),
    stage: 'overdue-1@20261110',
    kind: 'overdue',
    scheduledAt: new Date('2026-11-16T01:00:00Z'),
    obligation: {
      id: uuid(1_000 + n),
      status: 'open',
      current: true,
      dueAt: new Date('2026-11-10T16:59:59Z'),
      extendedTo: null,
      periodKey: '2026-Q4',
      unitName: 'Sở Y tế',
      unitId: uuid(500),
      dutyOrigin: 'appendix',
      dutyCode: `4.${n}`,
      // Long titles: the length limit, not only the item count, decides how many are shown.
      dutyTitle: `Nhiệm vụ số ${n} `.repeat(12),
      planCode: '3131/KH-UBND',
      planTitle: 'Kế hoạch',
    },
  };
}

/**
 * The channel registry (src/channels/registry.ts): every channel's spec is complete, and the
 * consumers — templates, the day's message, contacts, the command line, the web page, delivery's
 * reads and the transports — work for every registered channel by looping over the registry, not
 * over a list of their own.
 */
describe('the channel registry', () => {
  describe('each spec', () => {
    it('names every channel of the database exactly once, and nothing else', () => {
      expect([...CHANNEL_NAMES].sort()).toEqual(Object.values(Channel).sort());
      expect(new Set(CHANNEL_NAMES).size).toBe(CHANNEL_NAMES.length);
    });

    it('has a label and in-sentence words in both languages, and unambiguous aliases', () => {
      const seen = new Map<string, string>();
      for (const spec of CHANNEL_SPECS) {
        for (const lang of ['vi', 'en'] as const) {
          expect(CHAT_WORDS[lang][spec.label], `${spec.name} label ${lang}`).toBeTruthy();
          expect(CHAT_WORDS[lang][spec.inWords], `${spec.name} words ${lang}`).toBeTruthy();
        }
        for (const word of [spec.name, ...spec.aliases]) {
          expect(seen.get(word) ?? spec.name, `alias ${word}`).toBe(spec.name);
          seen.set(word, spec.name);
          expect(channelOfWord(word.toUpperCase())).toBe(spec.name);
        }
      }
    });

    it('has one text part, limits and a rule for errors', () => {
      for (const spec of CHANNEL_SPECS) {
        expect(
          spec.parts.filter((p) => p.role === 'text'),
          spec.name,
        ).toHaveLength(1);
        expect(new Set(spec.parts.map((p) => p.part)).size).toBe(spec.parts.length);
        expect(spec.shownItems, spec.name).toBeGreaterThan(0);
        expect(spec.maxLength, spec.name).toBeGreaterThan(500);
        expect(typeof spec.buttons).toBe('boolean');
        // An error the channel does not know is never permanent: it is retried, nothing is disabled.
        expect(spec.deliveryError(new TypeError('not a channel answer'))?.permanent ?? false, spec.name).toBe(false);
      }
    });

    it('claims every address column of a contact, each by exactly one channel', () => {
      const core = [
        'id',
        'orgId',
        'unitId',
        'name',
        'role',
        'locale',
        'channels',
        'disabledChannels',
        'unreachableSince',
        'active',
        'createdAt',
      ];
      const addressColumns = Object.values(Prisma.ContactScalarFieldEnum).filter((f) => !core.includes(f));
      expect([...ADDRESS_FIELDS].sort()).toEqual(addressColumns.sort());
      expect(new Set(ADDRESS_FIELDS).size).toBe(ADDRESS_FIELDS.length);
    });

    it('parses, checks and shows a typed address, and refuses a bad one with a clear message', () => {
      expect(TYPED.length).toBeGreaterThan(0);
      for (const spec of TYPED) {
        const { input } = spec.address;
        expect(input, spec.name).toBeDefined();
        const values = spec.address.parse(input!.example, ADDRESS_CTX);
        expect(spec.address.has(values), spec.name).toBe(true);
        expect(spec.address.has({}), spec.name).toBe(false);
        expect(spec.address.show(values), spec.name).toBeTruthy();
        expect(() => spec.address.parse('không phải địa chỉ', ADDRESS_CTX), spec.name).toThrow(UserError);
        expect(() => spec.address.parse('', ADDRESS_CTX), spec.name).toThrow(UserError);
      }
    });
  });

  describe('the templates', () => {
    const templates = loadTemplates();

    it('exist for every message, channel, part and language, and are listed for editing', () => {
      for (const spec of CHANNEL_SPECS)
        for (const message of Object.keys(MESSAGES) as MessageName[])
          for (const { part } of spec.parts) {
            expect(templates.has(message, spec.name, part, 'vi'), `${message}.${spec.name}.${part}`).toBe(true);
            expect(templates.has(message, spec.name, part, 'en'), `en/${message}.${spec.name}.${part}`).toBe(true);
            expect(parseTemplateRef({ lang: 'vi', message, channel: spec.name, part })).not.toBeNull();
          }
    });

    it('render each channel’s parts with values escaped as its spec says', () => {
      for (const spec of CHANNEL_SPECS)
        for (const message of Object.keys(MESSAGES) as MessageName[])
          for (const lang of ['vi', 'en'] as const) {
            const out = renderMessage(templates, message, spec.name, lang, viewOf(message));
            expect(out.text.trim(), `${message}.${spec.name}`).not.toBe('');
            expect(out.subject.trim(), `${message}.${spec.name}`).not.toBe('');
            for (const p of spec.parts) {
              const rendered = p.role === 'html' ? out.html : p.role === 'subject' ? out.subject : out.text;
              expect(rendered, `${message}.${spec.name}.${p.part}`).toContain(spec.escape(p.part)(NASTY));
              expect(spec.templateProblem?.(p.part, rendered!) ?? null, `${message}.${spec.name}`).toBeNull();
            }
          }
    });

    it('build a day’s message of many items within each channel’s item count and length', () => {
      const items = Array.from({ length: 80 }, (_, i) => item(i + 1));
      const ctx = {
        templates,
        edited: new Map<string, string>(),
        calendar: workingCalendarForYears([2026], []),
        confirmUrl: (id: string) => `https://dondoc.test/c/${id}`,
      };
      for (const spec of CHANNEL_SPECS) {
        const b: LoadedBundle = {
          id: uuid(999),
          orgId: uuid(998),
          orgName: 'Sở TTTT',
          timeZone: 'Asia/Ho_Chi_Minh',
          status: 'pending',
          channel: spec.name,
          day: '2026-11-16',
          slot: 'day',
          scheduledAt: new Date('2026-11-16T01:00:00Z'),
          contact: { id: uuid(997), name: 'Nguyễn Văn A', locale: 'vi', active: true, unitName: 'Sở Y tế' },
          items,
        };
        const { message } = bundleMessage(b, items, ctx);
        expect(message.items!.length, spec.name).toBeLessThanOrEqual(spec.shownItems);
        expect(message.items!.length, spec.name).toBeGreaterThan(0);
        expect(message.text.length, spec.name).toBeLessThanOrEqual(spec.maxLength);
      }
    });
  });

  describe('with a database', () => {
    let t: TestDatabase;
    let orgId: string;
    let unit: string;

    beforeAll(async () => {
      t = await createTestDatabase();
      const mini = await buildMiniOrg(t.prisma, {
        code: 'reg',
        units: 1,
        duties: [{ code: '4.2', due: '2026-11-13' }],
        now: new Date('2026-11-09T01:00:00Z'),
      });
      orgId = mini.org.id;
      unit = mini.units[0]!.name;
    }, 90_000);
    afterAll(async () => t?.close());

    it('keeps every address field in a column of the contacts table', async () => {
      const columns = await t.prisma.$queryRaw<{ column_name: string }[]>`
        SELECT column_name FROM information_schema.columns WHERE table_name = 'contacts'`;
      const names = columns.map((c) => c.column_name);
      for (const f of ADDRESS_FIELDS) expect(names, f).toContain(addressColumn(f));
    });

    it('adds a contact on each typed channel, sets and clears its address, and loads it for delivery', async () => {
      for (const spec of TYPED) {
        const example = spec.address.input!.example;
        const c = await addContact(
          t.prisma,
          orgId,
          { unit, name: `Người ${spec.name}`, addresses: { [spec.name]: example }, channels: [spec.name] },
          'test',
          OPTIONS,
        );
        // What the spec shows once (a webhook's secret) comes back to the caller, never to the log.
        expect(c.reveal).toBe(spec.address.reveal?.(c, ADDRESS_CTX, 'vi') ?? null);
        expect(c.channels).toEqual([spec.name]);
        expect(reachable(spec.name, c)).toBe(true);
        // Without its address, the channel is refused and nothing is created.
        await expect(
          addContact(t.prisma, orgId, { unit, name: `Không địa chỉ ${spec.name}`, channels: [spec.name] }, 'test'),
        ).rejects.toThrow(UserError);
        // Cleared, then set again: the address round-trips and its channel is enabled again.
        await t.prisma.contact.update({ where: { id: c.id }, data: { disabledChannels: [spec.name] } });
        const cleared = await setContactAddress(t.prisma, orgId, c.id, spec.name, '', 'test', OPTIONS);
        expect(reachable(spec.name, cleared.contact)).toBe(false);
        const set = await setContactAddress(t.prisma, orgId, c.id, spec.name, example, 'test', OPTIONS);
        expect(set.reveal).toBe(spec.address.reveal?.(set.contact, ADDRESS_CTX, 'vi') ?? null);
        expect(reachable(spec.name, set.contact)).toBe(true);
        expect(set.contact.disabledChannels).not.toContain(spec.name);
        await expect(setContactAddress(t.prisma, orgId, c.id, spec.name, 'sai', 'test', OPTIONS)).rejects.toThrow(
          UserError,
        );
        // Delivery's read carries the address to the transport.
        const bundle = await t.prisma.bundle.create({
          data: {
            orgId,
            contactId: c.id,
            channel: spec.name,
            day: new Date('2026-11-16'),
            slot: `reg-${spec.name}`,
            scheduledAt: new Date('2026-11-16T01:00:00Z'),
          },
        });
        const [loaded] = await loadBundles(t.prisma, [bundle.id]);
        for (const f of spec.address.fields) expect(loaded!.contact[f], f).toEqual(set.contact[f]);
      }
    });

    it('takes every channel by name and alias where channels are chosen, as the contact may', async () => {
      const c = await addContact(t.prisma, orgId, { unit, name: 'Người mọi kênh' }, 'test', OPTIONS);
      for (const spec of TYPED)
        await setContactAddress(t.prisma, orgId, c.id, spec.name, spec.address.input!.example, 'test', OPTIONS);
      for (const spec of CHANNEL_SPECS) {
        for (const word of [spec.name, ...spec.aliases]) {
          const updated = await setContactChannels(t.prisma, orgId, c.id, [word], 'test');
          expect(updated.channels, word).toEqual([spec.name]);
        }
        // A contact may choose only the channels the registry lets them, and only where reachable.
        const may =
          CONTACT_CHANNELS.includes(spec.name) && reachable(spec.name, await findContact(t.prisma, orgId, c.id));
        const byContact = setContactChannels(t.prisma, orgId, c.id, [spec.name], 'test', { byContact: true });
        if (may) await expect(byContact).resolves.toBeTruthy();
        else await expect(byContact).rejects.toThrow(UserError);
      }
    });

    it('takes each typed address as a flag of the command line, and sets it with `contacts address`', async () => {
      const env = { DATABASE_URL: t.url, DEFAULT_ORG: 'reg', USER: 'tester' };
      for (const spec of TYPED) {
        const name = `CLI ${spec.name}`;
        const example = spec.address.input!.example;
        const add = await runCliInProcess(
          ['contacts', 'add', '--unit', unit, '--name', name, `--${spec.name}`, example, '--channels', spec.name],
          env,
        );
        expect(add.code, add.stderr).toBe(0);
        const c = await findContact(t.prisma, orgId, name);
        expect(c.channels).toEqual([spec.name]);
        expect(reachable(spec.name, c)).toBe(true);
        const cleared = await runCliInProcess(['contacts', 'address', c.id, spec.name], env);
        expect(cleared.code, cleared.stderr).toBe(0);
        expect(reachable(spec.name, await findContact(t.prisma, orgId, c.id))).toBe(false);
        const set = await runCliInProcess(['contacts', 'address', c.id, spec.name, example], env);
        expect(set.code, set.stderr).toBe(0);
        expect(set.stdout).toContain(spec.address.show(spec.address.parse(example, ADDRESS_CTX))!);
      }
      const help = await runCliInProcess(['contacts', 'add', '--help'], env);
      for (const spec of TYPED) expect(help.stdout).toContain(`--${spec.name} <`);
    });
  });

  it('builds a transport for each configured channel, under its own name, and always for those that need no address', async () => {
    const config = loadConfig({ DATABASE_URL: 'postgresql://x@127.0.0.1/x' });
    const channels = await createChannels(config, createLogger({ level: 'silent' }));
    expect(Object.keys(channels).length).toBeGreaterThan(0);
    for (const [name, adapter] of Object.entries(channels)) expect(adapter!.name).toBe(name);
    for (const spec of CHANNEL_SPECS.filter((s) => s.address === null))
      expect(channels[spec.name], spec.name).toBeDefined();
    for (const adapter of Object.values(channels)) if (adapter && !adapter.transactional) await adapter.close?.();
  });
});
