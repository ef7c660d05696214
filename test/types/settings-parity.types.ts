// The settings interfaces users read (runtime/types.ts, with their docs and generics) and the Zod
// schemas that validate them (runtime/settings/settings.ts) name the same keys. Never run:
// `npm run typecheck` fails when a setting is added to one and not the other.
import { expectTypeOf } from 'expect-type';
import type { z } from 'zod';
import type { ClientSettings, WorkerSettings } from '../../runtime/index.js';
import type { clientSettingsSchema, workerSettingsSchema } from '../../runtime/settings/settings.js';

expectTypeOf<keyof z.input<typeof clientSettingsSchema>>().toEqualTypeOf<keyof ClientSettings>();
expectTypeOf<keyof z.input<typeof workerSettingsSchema>>().toEqualTypeOf<keyof WorkerSettings>();
