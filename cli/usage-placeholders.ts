/**
 * Clipanion 3 writes an option's value as `#0` in every usage line (`[-q,--queue #0]`), which reads
 * like a bug to a newcomer. This names the value after the last word of the option's long name, as
 * argparse does: `[-q,--queue QUEUE]`, `[--connection-timeout TIMEOUT]`, `<-m,--worker-module MODULE>`.
 */
import { Cli } from 'clipanion';
import type { BaseContext } from 'clipanion';

/** `--rabbitmq-url #0` → `--rabbitmq-url URL`; a short-only option's value becomes `VALUE`. */
export function namePlaceholders(usage: string): string {
  return usage.replace(
    /((?:-[\w-]+,)*-([\w-]+))((?: #\d+)+)/g,
    (_match, names: string, last: string, values: string) => {
      const word = last.replace(/^-/, '').split('-').pop() ?? '';
      const placeholder = word.length > 1 ? word.toUpperCase() : 'VALUE';
      const count = values.trim().split(' ').length;
      return [
        names,
        ...Array.from({ length: count }, (_, index) => (index === 0 ? placeholder : `${placeholder}${index + 1}`)),
      ].join(' ');
    },
  );
}

/** A clipanion `Cli` whose help, command list and usage errors name option values. */
export class NamedValueCli<Context extends BaseContext = BaseContext> extends Cli<Context> {
  protected override getUsageByIndex(
    n: number,
    opts?: { detailed?: boolean; inlineOptions?: boolean },
  ): ReturnType<Cli<Context>['getUsageByIndex']> {
    const { usage, options } = super.getUsageByIndex(n, opts);
    return {
      usage: namePlaceholders(usage),
      options: options.map((option) => ({ ...option, definition: namePlaceholders(option.definition) })),
    };
  }

  override error(...args: Parameters<Cli<Context>['error']>): string {
    return namePlaceholders(super.error(...args));
  }
}
