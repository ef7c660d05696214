// The handlers of the jobs of jobs.schema.ts, one file per job. Scaffolded once by arq-gen: this file
// is yours. When a job is added, arq-gen creates its handler file and tsc reports the missing key
// here until you import it below.
import type { Handlers } from '../generated/worker.js';
import buildOrderReportHandler from './buildOrderReport.js';
import cleanupExpiredHandler from './cleanupExpired.js';
import fetchPreviewHandler from './fetchPreview.js';
import processDataHandler from './processData.js';

export const handlers: Handlers = {
  buildOrderReport: buildOrderReportHandler,
  cleanupExpired: cleanupExpiredHandler,
  fetchPreview: fetchPreviewHandler,
  processData: processDataHandler,
};
