// README.zh-CN.md follows README.md section for section: the same number of `##` sections, in each the same
// fenced blocks (by language), and the same commands. A section or an example added to one README only fails here.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

interface Section {
  heading: string;
  blocks: string[];
  commands: string[];
}

function sections(file: string): Section[] {
  const lines = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8').split('\n');
  const found: Section[] = [{ heading: '(top)', blocks: [], commands: [] }];
  let fence: string | undefined;
  for (const line of lines) {
    const current = found.at(-1)!;
    if (fence === undefined && line.startsWith('## ')) found.push({ heading: line, blocks: [], commands: [] });
    else if (fence === undefined && /^```\w+/.test(line)) {
      fence = line.slice(3);
      current.blocks.push(fence);
    } else if (fence !== undefined && line.startsWith('```')) fence = undefined;
    else if (fence === 'bash' && line.trim() !== '' && !line.startsWith('#'))
      current.commands.push(line.replace(/\s+#.*$/, '').trim());
  }
  return found;
}

describe('README.zh-CN.md follows README.md', () => {
  const en = sections('README.md');
  const zh = sections('README.zh-CN.md');

  it('has as many sections', () => {
    assert.deepEqual(
      zh.map((section) => section.heading).length,
      en.length,
      `README.md: ${en.map((s) => s.heading).join(' | ')}\nREADME.zh-CN.md: ${zh.map((s) => s.heading).join(' | ')}`,
    );
  });

  it('has the same code blocks and commands in each section', () => {
    en.forEach((section, index) => {
      const other = zh[index];
      assert.ok(other, `no zh-CN section for ${section.heading}`);
      assert.deepEqual(other.blocks, section.blocks, `blocks of ${section.heading} / ${other.heading}`);
      assert.deepEqual(other.commands, section.commands, `commands of ${section.heading} / ${other.heading}`);
    });
  });
});
