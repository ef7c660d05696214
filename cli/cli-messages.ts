/**
 * What the operator commands print, in both locales (`LANG=zh_CN.UTF-8` picks zh-CN, as for log
 * lines). Failures are the runtime's error messages, which are English everywhere, like its errors.
 */
import { localeFromEnvironment } from '../runtime/logger.js';
import type { Locale } from '../runtime/index.js';

type Params = Record<string, string | number>;

const en = {
  replayProgress: (p: Params) => `replayed ${p.replayed} (${p.scanned}/${p.total} looked at)`,
  replayDone: (p: Params) => `replayed ${p.replayed} job(s) into ${p.queue}; ${p.kept} left in ${p.queue}_dlq`,
  dlqPurged: (p: Params) => `removed ${p.removed} dead letter(s) from ${p.queue}_dlq`,
  dlqEmpty: (p: Params) => `no dead letters in ${p.queue}_dlq`,
  queuePurged: (p: Params) => `removed ${p.removed} job(s) from ${p.queue}`,
  purgeQueueQuestion: (p: Params) => `remove every ready job from queue "${p.queue}"?`,
  purgeDlqQuestion: (p: Params) => `delete every dead letter of "${p.queue}"?`,
  refusedWithoutYes: (p: Params) => `refusing to ${p.action} without --yes (stdin is not a terminal)`,
  nothingRemoved: () => 'nothing removed',
  configOk: () => 'configuration ok',
  configProblems: (p: Params) => `${p.count} problem(s) found`,
  infoQueue: (p: Params) => `queue        ${p.queue}${p.exists ? '' : ' (does not exist yet)'}`,
  infoReady: (p: Params) => `ready        ${p.count}`,
  infoUnacked: (p: Params) => `unacked      ${p.count}`,
  infoUnackedUnknown: () => 'unacked      unknown (give --management-url)',
  infoConsumers: (p: Params) => `consumers    ${p.count}`,
  infoDeadLetters: (p: Params) => `dead letters ${p.count} (${p.dlq})`,
  infoDelayed: (p: Params) => `delayed      ${p.count} (delay ladder, all queues)`,
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
  configProblems: (p) => `发现 ${p.count} 个问题`,
  infoQueue: (p) => `队列         ${p.queue}${p.exists ? '' : '（尚不存在）'}`,
  infoReady: (p) => `待处理       ${p.count}`,
  infoUnacked: (p) => `未确认       ${p.count}`,
  infoUnackedUnknown: () => '未确认       未知（请提供 --management-url）',
  infoConsumers: (p) => `消费者       ${p.count}`,
  infoDeadLetters: (p) => `死信         ${p.count}（${p.dlq}）`,
  infoDelayed: (p) => `延迟中       ${p.count}（延迟梯队，所有队列合计）`,
};

export const cliCatalogues: Record<Locale, Record<CliMessageKey, (p: Params) => string>> = { en, 'zh-CN': zhCN };

/** The line `key` in the user's locale. */
export function say(key: CliMessageKey, params: Params = {}, locale: Locale = localeFromEnvironment()): string {
  return cliCatalogues[locale][key](params);
}
