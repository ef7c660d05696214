/**
 * Every log line the runtime writes, in each locale. Lines are looked up by key so that a test can
 * prove both locales cover every key, and JSON logs carry the key as `event` for machines.
 */
import type { Locale, LogFields, Logger, LogLevel } from './logger.js';
import { logSeverity } from './logger.js';
import { plural } from './plural.js';

type Params = Record<string, string | number | boolean | undefined>;
type Catalogue = Record<string, (p: Params) => string>;

const en = {
  'connection.connected': (p) => `connected to ${p.url}`,
  'connection.lost': (p) => `connection to ${p.url} lost: ${p.reason}; reconnecting`,
  'connection.retrying': (p) =>
    `connecting to ${p.url} failed (${p.reason}); attempt ${p.attempt}${p.next === p.url ? '' : ` on ${p.next}`} in ${p.delay} ms`,
  'connection.recovered': (p) => `reconnected to ${p.url}`,
  'connection.blocked': (p) => `broker ${p.url} blocks publishing: ${p.reason}`,
  'connection.unblocked': (p) => `broker ${p.url} accepts publishing again`,
  'channel.closed': (p) => `channel ${p.role} closed by the broker: ${p.reason}; reopening`,
  'channel.failed': (p) => `channel ${p.role} cannot be reopened: ${p.reason}`,
  'worker.started': (p) =>
    `worker ${p.worker} started: queues ${p.queues}, ${plural(p.concurrency, 'concurrent job')}, jobs ${p.jobs}`,
  'worker.stopping': (p) =>
    `worker stopping (${p.reason}): waiting up to ${p.timeout} ms for ${plural(p.running, 'running job')}`,
  'worker.stopped': (p) =>
    `worker stopped: ${p.completed} complete, ${p.failed} failed, ${p.retried} retried, ${p.deadLettered} dead-lettered`,
  'worker.signal_again': (p) => `received ${p.signal} again: aborting running jobs now`,
  'worker.stats': (p) =>
    `◆ ${plural(p.completed, 'job')} complete ◆ ${p.failed} failed ◆ ${p.retried} retried ◆ ${p.ongoing} ongoing ◆ ${p.deadLettered} dead-lettered ◆ ${p.aborted} aborted`,
  'worker.burst_drained': () => 'burst mode: queues drained; exiting',
  'worker.burst_timeout': (p) => `burst mode: timeout of ${p.timeout} ms reached; exiting`,
  'worker.hook_failed': (p) => `hook ${p.hook} failed: ${p.error}`,
  'worker.startup_failed': (p) => `onStartup failed, worker not started: ${p.error}`,
  'job.start': (p) => `job ${p.jobId} ${p.functionName} try ${p.jobTry} started`,
  'job.complete': (p) => `job ${p.jobId} ${p.functionName} complete in ${p.ms} ms`,
  'job.retry': (p) => `job ${p.jobId} ${p.functionName} try ${p.jobTry} failed (${p.error}); retrying in ${p.delay} ms`,
  'job.dead_lettered': (p) => `job ${p.jobId} ${p.functionName} dead-lettered to ${p.dlq} as ${p.category}: ${p.error}`,
  'job.assigned_id': (p) => `message without job_id on ${p.queue}: assigned ${p.jobId}`,
  'job.deferred': (p) => `job ${p.jobId} arrived ${p.early} ms before its due time; deferred again`,
  'job.late_result': (p) => `job ${p.jobId} settled after its timeout; its result is discarded`,
  'job.requeued': (p) => `job ${p.jobId} requeued: ${p.reason}`,
  'job.outcome_unpublished': (p) =>
    `outcome of job ${p.jobId} could not be published (${p.error}); message returned to the queue`,
  'job.outcome_dropped': (p) =>
    `outcome of job ${p.jobId} not published: the channel it came on closed, so the broker runs it again`,
  'job.aborted': (p) => `job ${p.jobId} ${p.functionName} aborted ${p.when}`,
  'job.already_final': (p) =>
    `job ${p.jobId} ${p.functionName} already ended (its record is final): a redelivery after a lost ack; acked, not run again`,
  'results.unavailable': (p) =>
    `result store ${p.url} unavailable (${p.reason}); jobs keep running, their results are not recorded until it returns`,
  'results.recovered': (p) => `result store ${p.url} is back; results are recorded again`,
  'worker.health_listening': (p) => `health and metrics on http://${p.address} (/healthz, /readyz, /metrics)`,
  'job.isolated': (p) =>
    `job ${p.jobId} ${p.functionName} came back ${plural(p.returns, 'time')} without an outcome (did it kill its worker?); running it alone`,
  'job.return_counted': (p) => `job ${p.jobId} came back without an outcome; return ${p.returns} counted`,
  'scheduler.leading': (p) => `this worker now fires schedule ${p.schedule} (lease ${p.lease})`,
  'scheduler.definition_changed': (p) =>
    `schedule ${p.schedule} changed since its last tick ${p.lastTick}; it continues from there without catching up`,
  'scheduler.tick_skipped': (p) =>
    `tick ${p.tick} of schedule ${p.schedule} came back from a stopping worker ${p.late} ms late; skipped by the catch-up rule`,
  'scheduler.lease_lost': (p) => `lost the schedule lease ${p.lease}; another worker takes over`,
  'scheduler.fired': (p) => `schedule tick ${p.tick} of ${p.functionName}: job ${p.jobId}`,
  'scheduler.fire_failed': (p) => `schedule ticks of lease ${p.lease} were not confirmed (${p.error}); trying again`,
} satisfies Catalogue;

export type MessageKey = keyof typeof en;

const zhCN: Record<MessageKey, (p: Params) => string> = {
  'connection.connected': (p) => `已连接到 ${p.url}`,
  'connection.lost': (p) => `与 ${p.url} 的连接断开：${p.reason}；正在重连`,
  'connection.retrying': (p) =>
    `连接 ${p.url} 失败（${p.reason}）；${p.delay} 毫秒后第 ${p.attempt} 次重试${p.next === p.url ? '' : `（${p.next}）`}`,
  'connection.recovered': (p) => `已重新连接到 ${p.url}`,
  'connection.blocked': (p) => `服务器 ${p.url} 暂停接收消息：${p.reason}`,
  'connection.unblocked': (p) => `服务器 ${p.url} 恢复接收消息`,
  'channel.closed': (p) => `通道 ${p.role} 被服务器关闭：${p.reason}；正在重新打开`,
  'channel.failed': (p) => `通道 ${p.role} 无法重新打开：${p.reason}`,
  'worker.started': (p) => `Worker ${p.worker} 已启动：队列 ${p.queues}，并发 ${p.concurrency} 个任务，任务 ${p.jobs}`,
  'worker.stopping': (p) =>
    `Worker 正在停止（${stopReasonZh(String(p.reason))}）：最多等待 ${p.timeout} 毫秒，${p.running} 个任务运行中`,
  'worker.stopped': (p) =>
    `Worker 已停止：${p.completed} 个完成，${p.failed} 个失败，${p.retried} 个重试，${p.deadLettered} 个进入死信队列`,
  'worker.signal_again': (p) => `再次收到 ${p.signal}：立即中止运行中的任务`,
  'worker.stats': (p) =>
    `◆ ${p.completed} 个任务完成 ◆ ${p.failed} 个失败 ◆ ${p.retried} 个重试 ◆ ${p.ongoing} 个待完成 ◆ ${p.deadLettered} 个死信 ◆ ${p.aborted} 个中止`,
  'worker.burst_drained': () => 'Burst 模式：队列已清空；退出',
  'worker.burst_timeout': (p) => `Burst 模式：已到 ${p.timeout} 毫秒超时；退出`,
  'worker.hook_failed': (p) => `钩子 ${p.hook} 执行失败：${p.error}`,
  'worker.startup_failed': (p) => `onStartup 执行失败，Worker 未启动：${p.error}`,
  'job.start': (p) => `任务 ${p.jobId} ${p.functionName} 第 ${p.jobTry} 次尝试开始`,
  'job.complete': (p) => `任务 ${p.jobId} ${p.functionName} 完成，用时 ${p.ms} 毫秒`,
  'job.retry': (p) =>
    `任务 ${p.jobId} ${p.functionName} 第 ${p.jobTry} 次尝试失败（${p.error}）；${p.delay} 毫秒后重试`,
  'job.dead_lettered': (p) =>
    `任务 ${p.jobId} ${p.functionName} 已转入死信队列 ${p.dlq}，类别 ${p.category}：${p.error}`,
  'job.assigned_id': (p) => `${p.queue} 上的消息没有 job_id：已分配 ${p.jobId}`,
  'job.deferred': (p) => `任务 ${p.jobId} 比预定时间早到 ${p.early} 毫秒；已再次延迟`,
  'job.late_result': (p) => `任务 ${p.jobId} 在超时之后才结束；结果已丢弃`,
  'job.requeued': (p) => `任务 ${p.jobId} 已放回队列：${p.reason}`,
  'job.outcome_unpublished': (p) => `任务 ${p.jobId} 的结果无法发布（${p.error}）；消息已退回队列`,
  'job.outcome_dropped': (p) => `任务 ${p.jobId} 的结果未发布：接收它的通道已关闭，服务器会重新投递`,
  'job.aborted': (p) =>
    `任务 ${p.jobId} ${p.functionName} 已中止（${p.when === 'before it ran' ? '尚未运行' : '运行中'}）`,
  'job.already_final': (p) =>
    `任务 ${p.jobId} ${p.functionName} 已经结束（记录已是最终状态）：确认丢失后的重投；已确认，不再运行`,
  'results.unavailable': (p) => `结果存储 ${p.url} 不可用（${p.reason}）；任务照常运行，恢复之前不记录结果`,
  'results.recovered': (p) => `结果存储 ${p.url} 已恢复；重新记录结果`,
  'worker.health_listening': (p) => `健康检查与指标：http://${p.address}（/healthz、/readyz、/metrics）`,
  'job.isolated': (p) =>
    `任务 ${p.jobId} ${p.functionName} 已 ${p.returns} 次未得出结果就被退回（是否导致 worker 崩溃？）；单独运行`,
  'job.return_counted': (p) => `任务 ${p.jobId} 未得出结果就被退回；记为第 ${p.returns} 次退回`,
  'scheduler.leading': (p) => `本 worker 现在负责定时任务 ${p.schedule}（租约 ${p.lease}）`,
  'scheduler.definition_changed': (p) =>
    `定时任务 ${p.schedule} 自上次触发 ${p.lastTick} 以来已更改；从该处继续，不补触发`,
  'scheduler.tick_skipped': (p) =>
    `定时任务 ${p.schedule} 的触发 ${p.tick} 由正在停止的 worker 退回，已晚 ${p.late} 毫秒；按补触发规则跳过`,
  'scheduler.lease_lost': (p) => `失去定时任务租约 ${p.lease}；由其他 worker 接管`,
  'scheduler.fired': (p) => `${p.functionName} 的定时触发 ${p.tick}：任务 ${p.jobId}`,
  'scheduler.fire_failed': (p) => `租约 ${p.lease} 的定时触发未获确认（${p.error}）；将重试`,
};

export const catalogues: Record<Locale, Record<MessageKey, (p: Params) => string>> = { en, 'zh-CN': zhCN };

/** Writes catalogue lines in one locale; the key travels as `event` so JSON logs stay machine-readable. */
export class RuntimeLog {
  /** Debug lines are per job: callers on the hot path check this before building the line's parameters. */
  readonly debugEnabled: boolean;
  /**
   * The level filters here, not only in the console logger: a user's own logger receives exactly
   * the lines `logLevel` lets through (`{ logger, logLevel: 'silent' }` is silent).
   */
  private readonly minimum: number;

  constructor(
    readonly logger: Logger,
    readonly locale: Locale,
    level: LogLevel = 'info',
  ) {
    this.minimum = logSeverity[level];
    this.debugEnabled = this.minimum <= logSeverity.debug;
  }

  debug(key: MessageKey, params: Params = {}, fields?: LogFields): void {
    if (!this.debugEnabled) return;
    this.logger.debug(catalogues[this.locale][key](params), { event: key, ...params, ...fields });
  }
  info(key: MessageKey, params: Params = {}, fields?: LogFields): void {
    if (this.minimum > logSeverity.info) return;
    this.logger.info(catalogues[this.locale][key](params), { event: key, ...params, ...fields });
  }
  warn(key: MessageKey, params: Params = {}, fields?: LogFields): void {
    if (this.minimum > logSeverity.warn) return;
    this.logger.warn(catalogues[this.locale][key](params), { event: key, ...params, ...fields });
  }
  error(key: MessageKey, params: Params = {}, fields?: LogFields): void {
    if (this.minimum > logSeverity.error) return;
    this.logger.error(catalogues[this.locale][key](params), { event: key, ...params, ...fields });
  }
}

/** The worker's stop reasons are fixed words (or a signal name, or a consumer failure that carries the broker's own text). */
function stopReasonZh(reason: string): string {
  const known: Record<string, string> = {
    close: '调用了 close()',
    burst: 'burst 模式已完成',
    'burst timeout': 'burst 模式超时',
  };
  return known[reason] ?? reason.replace(/^consumer of (.*) failed: /, '队列 $1 的消费者失败：');
}
