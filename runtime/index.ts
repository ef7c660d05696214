// The public entry point of rabbitmq-arq: every name a user may import, listed explicitly.
export { RabbitMQClient } from './client.js';
export type { EnqueueRequest, JobSpec } from './client.js';
export { defineJobs, isoDate } from './define-jobs.js';
export type { JobArgs, JobArgsInput, JobDefinition, JobResult, JobsDefinition } from './define-jobs.js';
export { DELAY_UNIT_MS, MAX_DELAY_MS } from './delay-topology.js';
export {
  ArqError,
  BrokerConfigurationError,
  Closed,
  ConnectionUnavailable,
  EnqueueUnconfirmed,
  InvalidJobArgs,
  InvalidJobResult,
  InvalidMessage,
  InvalidSchedule,
  InvalidSettings,
  JobAborted,
  JobExpired,
  JobTimeout,
  MessageTooLarge,
  NonRetryable,
  PublishNacked,
  PublishReturned,
  ResultStoreRequired,
  Retry,
  UnknownJob,
  UnsupportedWireVersion,
  WorkerShutdown,
  errorCode,
} from './errors.js';
export { Job } from './job.js';
export { createConsoleLogger, redactUrl } from './logger.js';
export type { ConsoleLoggerOptions, Locale, LogFields, LogLevel, Logger } from './logger.js';
export { defaults } from './settings.js';
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
  WorkerSettings,
  WorkerState,
} from './types.js';
export { Worker } from './worker.js';
export type { WorkerStats } from './worker.js';
