import { Help, type Command, type Option } from 'commander';
import type { Lang } from '#root/domain/wording.js';
import { serviceWordsIn } from '#root/messages/service-words.js';

/** Commander's own errors, as it words them, and the key that says each in the run's language. */
const COMMANDER_ERRORS: readonly [
  RegExp,
  (
    | 'unknownOption'
    | 'unknownCommand'
    | 'missingArgument'
    | 'optionArgumentMissing'
    | 'requiredOption'
    | 'tooManyArguments'
  ),
][] = [
  [/^error: unknown option '([^']*)'/, 'unknownOption'],
  [/^error: unknown command '([^']*)'/, 'unknownCommand'],
  [/^error: missing required argument '([^']*)'/, 'missingArgument'],
  [/^error: option '([^']*)' argument missing/, 'optionArgumentMissing'],
  [/^error: required option '([^']*)' not specified/, 'requiredOption'],
  [/^error: too many arguments/, 'tooManyArguments'],
];

/** One of Commander's error lines in the run's language (its suggestion, "--xyz", kept). */
export function commanderError(text: string, lang: Lang): string {
  const t = serviceWordsIn('cli', lang);
  for (const [pattern, key] of COMMANDER_ERRORS) {
    const m = pattern.exec(text);
    if (!m) continue;
    const suggestion = /\(Did you mean ([^?]+)\?\)/.exec(text);
    const said = t(`commander.${key}`, { name: m[1] ?? '' });
    return `${said}${suggestion ? `\n${t('commander.didYouMean', { name: suggestion[1]! })}` : ''}\n`;
  }
  return text;
}

/**
 * Commander's own words — the help's headings, its help option and command, an option's default,
 * its errors — in the run's language. Called on the program before its commands are added: they
 * take these settings from it.
 */
export function speakCommander(program: Command, lang: Lang): void {
  const t = serviceWordsIn('cli', lang);
  const titles: Readonly<Record<string, string>> = {
    'Usage:': t('commander.usage'),
    'Arguments:': t('commander.arguments'),
    'Options:': t('commander.options'),
    'Commands:': t('commander.commands'),
    'Global Options:': t('commander.globalOptions'),
  };
  // "[options]" and "[command]" in a usage line, "list [options]" in a list of commands.
  const usage = (text: string) =>
    text.replaceAll('[options]', t('commander.optionsWord')).replaceAll('[command]', t('commander.commandWord'));
  program
    .helpOption('-h, --help', t('commander.help'))
    .helpCommand(t('commander.helpCommandName'), t('commander.help'))
    .configureHelp({
      styleTitle: (title) => titles[title] ?? title,
      commandUsage(this: Help, cmd: Command) {
        return usage(Help.prototype.commandUsage.call(this, cmd));
      },
      subcommandTerm(this: Help, cmd: Command) {
        return usage(Help.prototype.subcommandTerm.call(this, cmd));
      },
      optionDescription(this: Help, option: Option) {
        const shown = option.defaultValue !== undefined && (option.required || option.optional);
        return shown
          ? `${option.description} (${t('commander.default', { value: JSON.stringify(option.defaultValue) })})`
          : option.description;
      },
    })
    .configureOutput({ outputError: (text, write) => write(commanderError(text, lang)) });
}
