/**
 * What the generator package (`arq-gen`) reads from the runtime it generates code for: the queue
 * arguments, delay ladder, wire version and job rules that generated contracts must agree with.
 * Importing them from the user's installed `rabbitmq-arq` (a peer dependency of the generator) means
 * the AsyncAPI document describes the runtime that will actually run. Not a public API: it may
 * change in any release, together with the generator of the same version.
 */
export { scheduleProblems } from './schedules/schedule.js';
export type { ScheduleSpec } from './schedules/schedule.js';
export { jobTimeoutSchema, maxRetriesSchema, queueNameProblems } from './settings/job-rules.js';
export { delayNames, DELAY_UNIT_MS, MAX_DELAY_MS } from './topology/delay-topology.js';
export { deadLetterQueueName, deadLetterQueueOptions, mainQueueOptions } from './topology/queue-topology.js';
export { defaults } from './settings/settings.js';
export { WIRE_VERSION } from './wire-format.js';
export { findPackageManifest } from './package-manifest.js';
export type { PackageManifest } from './package-manifest.js';
export { isEntryModule } from './entry-module.js';
