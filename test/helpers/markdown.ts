/** Code blocks of the Markdown docs, for tests that compile or run what the docs show. */

export interface Snippet {
  line: number;
  path: string | undefined;
  code: string;
}

/** The ```ts blocks of a Markdown text that are not marked partial. */
export function typeScriptBlocks(markdown: string): Snippet[] {
  const lines = markdown.split('\n');
  const blocks: Snippet[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i]!)) continue;
    const partial =
      /<!--\s*snippet:\s*partial\s*-->/.test(lines[i - 1] ?? '') ||
      /<!--\s*snippet:\s*partial\s*-->/.test(lines[i - 2] ?? '');
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end += 1;
    if (!partial) {
      const code = lines.slice(start, end).join('\n') + '\n';
      const path = /^\/\/ ([\w./-]+\.ts)\s*$/.exec(lines[start] ?? '')?.[1];
      blocks.push({ line: start, path, code });
    }
    i = end;
  }
  return blocks;
}
