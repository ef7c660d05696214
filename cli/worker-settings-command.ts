/**
 * What `worker` and `validate-config` share: `-m/--module` and one option per row of
 * `workerOverrideTable`, declared from the table, so the flags, their `--help` and the environment
 * variables cannot drift apart. Layers apply as flag > environment > module > default.
 */
import { Command, Option } from 'clipanion';
import type { WorkerSettings } from '../runtime/index.js';
import type { OverrideSpec, WorkerOverrideKey, WorkerOverrides } from '../runtime/settings/worker-overrides.js';
import {
  applyWorkerOverrides,
  isSwitch,
  workerOverrideSources,
  workerOverridesFromEnvironment,
  workerOverridesFromFlags,
} from '../runtime/settings/worker-overrides.js';

/** The line `--help` shows for one overridable setting. */
function overrideDescription(spec: OverrideSpec<unknown>): string {
  const source = `$${spec.variable}`;
  return spec.default === undefined ? `${spec.help} (${source})` : `${spec.help} (${source}, default ${spec.default})`;
}

/** The clipanion option of each overridable setting, by its table key. */
function overrideOptions(): Record<WorkerOverrideKey, unknown> {
  const options: Partial<Record<WorkerOverrideKey, unknown>> = {};
  for (const source of workerOverrideSources) {
    const names = [source.short, source.flag, source.alias].filter(Boolean).join(',');
    const description = overrideDescription(source);
    options[source.key] = isSwitch(source)
      ? Option.Boolean(names, { description })
      : Option.String(names, { description });
  }
  return options as Record<WorkerOverrideKey, unknown>;
}

/** The variables every overridable setting reads, for a command's usage text. */
export const overrideVariablesText = workerOverrideSources.map((source) => source.variable).join(', ');

export abstract class WorkerSettingsCommand extends Command {
  module = Option.String('-m,--module', { required: true, description: 'path[:export] of the worker settings' });

  constructor() {
    super();
    // clipanion finds options among the instance's properties: these come from the table, one per row.
    Object.assign(this, overrideOptions());
  }

  /** What the command line gave for one overridable setting (`undefined` when not given). */
  protected flag<K extends WorkerOverrideKey>(key: K): string | boolean | undefined {
    return (this as unknown as Record<WorkerOverrideKey, string | boolean | undefined>)[key];
  }

  /** The flags' layer, parsed (every bad value reported at once). */
  protected flagOverrides(): WorkerOverrides {
    const flags: Partial<Record<WorkerOverrideKey, string | boolean | undefined>> = {};
    for (const source of workerOverrideSources) flags[source.key] = this.flag(source.key);
    return workerOverridesFromFlags(flags);
  }

  /**
   * Flag > environment > module > default. Flags and variables are parsed here, before the module
   * loads, so a typo in them fails at once.
   */
  layerOver(env: NodeJS.ProcessEnv): (moduleSettings: WorkerSettings) => WorkerSettings {
    const flags = this.flagOverrides();
    const environment = workerOverridesFromEnvironment(env);
    return (moduleSettings) => applyWorkerOverrides(moduleSettings, environment, flags);
  }
}
