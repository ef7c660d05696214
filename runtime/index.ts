// The public entry point of rabbitmq-arq: every name a user may import, listed explicitly.
export { defineJobs, isoDate } from './define-jobs.js';
export type { JobArgs, JobArgsInput, JobDefinition, JobResult, JobsDefinition } from './define-jobs.js';
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
export { createConsoleLogger, redactUrl } from './logger.js';
export type { Locale, LogFields, LogLevel, Logger } from './logger.js';
export type {
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
  WorkerState,
} from './types.js';
