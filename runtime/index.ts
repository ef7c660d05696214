// The public entry point of rabbitmq-arq: every name a user may import, listed explicitly.
export { RabbitMQClient } from './client/client.js';
export type { EnqueueRequest, JobHandle, JobSpec, NoUnknownSettings, WithResultStore } from './client/client.js';
export { defineJobs, isoDate } from './define-jobs.js';
export type { JobArgs, JobArgsInput, JobDefinition, JobResult, JobsDefinition } from './define-jobs.js';
export { DELAY_UNIT_MS, MAX_DELAY_MS } from './topology/delay-topology.js';
export {
  ArqError,
  BrokerConfigurationError,
  Closed,
  ConnectionUnavailable,
  DeliveryLimitExceeded,
  DrainTimeout,
  DrainUnsupported,
  EnqueueUnconfirmed,
  InvalidEnqueueOptions,
  InvalidJobArgs,
  InvalidJobResult,
  InvalidMessage,
  InvalidModule,
  InvalidSchedule,
  InvalidSettings,
  JobAborted,
  JobExpired,
  JobFailed,
  JobNotFound,
  JobTimeout,
  ManagementApiError,
  MessageTooLarge,
  NonRetryable,
  PublishNacked,
  PublishReturned,
  QueueNotFound,
  ResultStoreRequired,
  ResultStoreUnavailable,
  ResultTimeout,
  Retry,
  StartupFailed,
  PackageManifestMissing,
  TypeScriptLoaderMissing,
  UncheckedEnqueueRefused,
  UnknownJob,
  UnsupportedWireVersion,
  WorkerShutdown,
  errorCode,
} from './errors.js';
export { Job, TrackedJob } from './client/job.js';
export type { JobInfo, JobRecordSource } from './client/job.js';
export type { JobRecord, JobStatus, StoredError } from './results/job-record.js';
export type { ScheduleSpec } from './schedules/schedule.js';
export { createConsoleLogger, redactUrl } from './logger.js';
export type { ConsoleLoggerOptions, Locale, LogFields, LogLevel, Logger } from './logger.js';
export { defaults } from './settings/settings.js';
export type {
  ResolvedClientSettings,
  ResolvedConnectionSettings,
  ResolvedResultStoreSettings,
  ResolvedWorkerSettings,
} from './settings/settings.js';
export type {
  BurstSettings,
  ClientSettings,
  DeadLetterCategory,
  EnqueueOptions,
  HandlerMap,
  JobContext,
  JobHandler,
  JobOutcome,
  JobRegistration,
  QueueType,
  RabbitMQSettings,
  ResultStoreSettings,
  TlsSettings,
  WorkerSettings,
  WorkerState,
} from './types.js';
export { bindJobs, registerJobs } from './typed-jobs.js';
export type { EnqueueFunctions, JobDefinitions, JobHandlers } from './typed-jobs.js';
export { parseDuration, parseLogLevel, parseSwitch, parseWholeNumber } from './settings/parse-text.js';
export { parseBrokerUrls, splitBrokerUrls } from './settings/broker-urls.js';
export type { BrokerUrls } from './settings/broker-urls.js';
export type { TlsSocketOptions } from './transport/tls.js';
export {
  applyWorkerOverrides,
  workerOverridesFromEnvironment,
  workerOverrideSources,
  workerOverrideTable,
} from './settings/worker-overrides.js';
export type { OverrideSpec, WorkerOverrideKey, WorkerOverrides } from './settings/worker-overrides.js';
export { inspectQueue, purgeQueue } from './operations/queue-info.js';
export type { QueueInfo, QueueInfoOptions } from './operations/queue-info.js';
export { listDeadLetters, purgeDeadLetters, replayDeadLetters } from './operations/dead-letters.js';
export type {
  DeadLetter,
  ListOptions,
  ReplayOptions,
  ReplayReport,
  ReplaySelection,
} from './operations/dead-letters.js';
export type { OperatorSettings } from './operations/operator-session.js';
export { checkWorkerConfig, DEFAULT_CONSUMER_TIMEOUT_MS } from './operations/validate-config.js';
export type { ConfigCheckOptions, ConfigFinding } from './operations/validate-config.js';
export { Worker } from './worker/worker.js';
export type { WorkerStats } from './worker/worker.js';
