/**
 * What the operator commands print, in both locales (`LANG=zh_CN.UTF-8` picks zh-CN, as for log
 * lines). Failures are the runtime's error messages, which are English everywhere, like its errors.
 */
import { localeFromEnvironment } from '../runtime/logger.js';
import { plural } from '../runtime/plural.js';
import type { Locale } from '../runtime/index.js';

type Params = Record<string, string | number>;

const en = {
  replayProgress: (p: Params) => `replayed ${p.replayed} (${p.scanned}/${p.total} looked at)`,
  replayDone: (p: Params) => `replayed ${plural(p.replayed, 'job')} into ${p.queue}; ${p.kept} left in ${p.queue}_dlq`,
  dlqPurged: (p: Params) => `removed ${plural(p.removed, 'dead letter')} from ${p.queue}_dlq`,
  dlqEmpty: (p: Params) => `no dead letters in ${p.queue}_dlq`,
  queuePurged: (p: Params) => `removed ${plural(p.removed, 'job')} from ${p.queue}`,
  purgeQueueQuestion: (p: Params) => `remove every ready job from queue "${p.queue}"?`,
  purgeDlqQuestion: (p: Params) => `delete every dead letter of "${p.queue}"?`,
  refusedWithoutYes: (p: Params) => `refusing to ${p.action} without --yes (stdin is not a terminal)`,
  nothingRemoved: () => 'nothing removed',
  configOk: () => 'configuration ok',
  startedThroughNpm: (p: Params) =>
    `warning: started through npm (${p.command}), which does not pass SIGTERM on: a stop would leave this worker running. In production run node_modules/.bin/rabbitmq-arq worker directly`,
  configProblems: (p: Params) => `${plural(p.count, 'problem')} found`,
  infoQueue: (p: Params) => `queue        ${p.queue}${p.exists ? '' : ' (does not exist yet)'}`,
  infoReady: (p: Params) => `ready        ${p.count}`,
  infoUnacked: (p: Params) => `unacked      ${p.count}`,
  infoUnackedUnknown: () => 'unacked      unknown (give --management-url)',
  infoConsumers: (p: Params) => `consumers    ${p.count}`,
  infoDeadLetters: (p: Params) => `dead letters ${p.count} (${p.dlq})`,
  infoDelayed: (p: Params) => `delayed      ${p.count} (delay ladder, all queues)`,
  jobNotFound: (p: Params) =>
    `no job ${p.jobId} in the result store (never enqueued with a store, or its record expired)`,
  jobNotFinished: (p: Params) => `job ${p.jobId} has not finished: ${p.status}`,
  jobEndedWith: (p: Params) => `job ended ${p.status}: ${p.error}`,
  jobAborted: (p: Params) => `job ${p.jobId} aborted before it ran`,
  jobAborting: (p: Params) => `job ${p.jobId} is running; its worker was asked to stop it`,
  jobAlreadyFinished: (p: Params) => `job ${p.jobId} already finished (${p.status}); nothing to abort`,
  jobLineId: (p: Params) => `job          ${p.value}`,
  jobLineStatus: (p: Params) => `status       ${p.value}`,
  jobLineFunction: (p: Params) => `function     ${p.value}`,
  jobLineQueue: (p: Params) => `queue        ${p.value}`,
  jobLineTries: (p: Params) => `tries        ${p.value}`,
  jobLineEnqueued: (p: Params) => `enqueued     ${p.value}`,
  jobLineDue: (p: Params) => `due          ${p.value}`,
  jobLineStarted: (p: Params) => `started      ${p.value}`,
  jobLineEnded: (p: Params) => `ended        ${p.value}`,
  jobLineWorker: (p: Params) => `worker       ${p.value}`,
  jobLineError: (p: Params) => `error        ${p.value}`,
  healthOk: (p: Params) => `${p.url}: ${p.status} ${p.body}`,
  healthBad: (p: Params) => `${p.url}: ${p.status} ${p.body}`,
  healthNoAnswer: (p: Params) => `${p.url}: no answer (${p.reason})`,
} satisfies Record<string, (p: Params) => string>;

export type CliMessageKey = keyof typeof en;

const zhCN: Record<CliMessageKey, (p: Params) => string> = {
  replayProgress: (p) => `已重放 ${p.replayed} 个（已查看 ${p.scanned}/${p.total}）`,
  replayDone: (p) => `已将 ${p.replayed} 个任务重放到 ${p.queue}；${p.queue}_dlq 中还剩 ${p.kept} 个`,
  dlqPurged: (p) => `已从 ${p.queue}_dlq 删除 ${p.removed} 条死信`,
  dlqEmpty: (p) => `${p.queue}_dlq 中没有死信`,
  queuePurged: (p) => `已从 ${p.queue} 删除 ${p.removed} 个任务`,
  purgeQueueQuestion: (p) => `删除队列 "${p.queue}" 中所有待处理的任务？`,
  purgeDlqQuestion: (p) => `删除 "${p.queue}" 的所有死信？`,
  refusedWithoutYes: (p) => `没有 --yes 时拒绝执行：${p.action}（标准输入不是终端）`,
  nothingRemoved: () => '未删除任何内容',
  configOk: () => '配置无误',
  startedThroughNpm: (p: Params) =>
    `警告：通过 npm（${p.command}）启动，npm 不会转发 SIGTERM：停止时此 Worker 会继续运行。生产环境请直接运行 node_modules/.bin/rabbitmq-arq worker`,
  configProblems: (p) => `发现 ${p.count} 个问题`,
  infoQueue: (p) => `队列         ${p.queue}${p.exists ? '' : '（尚不存在）'}`,
  infoReady: (p) => `待处理       ${p.count}`,
  infoUnacked: (p) => `未确认       ${p.count}`,
  infoUnackedUnknown: () => '未确认       未知（请提供 --management-url）',
  infoConsumers: (p) => `消费者       ${p.count}`,
  infoDeadLetters: (p) => `死信         ${p.count}（${p.dlq}）`,
  infoDelayed: (p) => `延迟中       ${p.count}（延迟梯队，所有队列合计）`,
  jobNotFound: (p) => `结果存储中没有任务 ${p.jobId}（入队时未配置结果存储，或记录已过期）`,
  jobNotFinished: (p) => `任务 ${p.jobId} 尚未结束：${p.status}`,
  jobEndedWith: (p) => `任务以 ${p.status} 结束：${p.error}`,
  jobAborted: (p) => `任务 ${p.jobId} 在运行前已中止`,
  jobAborting: (p) => `任务 ${p.jobId} 正在运行；已通知其 worker 停止它`,
  jobAlreadyFinished: (p) => `任务 ${p.jobId} 已结束（${p.status}），无需中止`,
  jobLineId: (p) => `任务         ${p.value}`,
  jobLineStatus: (p) => `状态         ${p.value}`,
  jobLineFunction: (p) => `函数         ${p.value}`,
  jobLineQueue: (p) => `队列         ${p.value}`,
  jobLineTries: (p) => `尝试次数     ${p.value}`,
  jobLineEnqueued: (p) => `入队时间     ${p.value}`,
  jobLineDue: (p) => `到期时间     ${p.value}`,
  jobLineStarted: (p) => `开始时间     ${p.value}`,
  jobLineEnded: (p) => `结束时间     ${p.value}`,
  jobLineWorker: (p) => `执行者       ${p.value}`,
  jobLineError: (p) => `错误         ${p.value}`,
  healthOk: (p) => `${p.url}：${p.status} 正常 ${p.body}`,
  healthBad: (p) => `${p.url}：${p.status} 异常 ${p.body}`,
  healthNoAnswer: (p) => `${p.url}：无响应（${p.reason}）`,
};

export const cliCatalogues: Record<Locale, Record<CliMessageKey, (p: Params) => string>> = { en, 'zh-CN': zhCN };

/** The line `key` in the user's locale. */
export function say(key: CliMessageKey, params: Params = {}, locale: Locale = localeFromEnvironment()): string {
  return cliCatalogues[locale][key](params);
}
