import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

// Each probe is source text that breaks one dependency rule, linted as if it lived at `filePath`.
// lintText never writes the file, so nothing is left behind and parallel runs do not collide.
const probes: { rule: string; filePath: string; source: string }[] = [
  { rule: 'runtime ↛ generator', filePath: 'runtime/probe.ts', source: "import '../generator/generate.js';\n" },
  { rule: 'runtime ↛ cli', filePath: 'runtime/worker/probe.ts', source: "import '../../cli/main.js';\n" },
  { rule: 'runtime ↛ templates', filePath: 'runtime/probe.ts', source: "import '../templates/client.hbs';\n" },
  { rule: 'runtime ↛ generated', filePath: 'runtime/client/probe.ts', source: "import '../../generated/client.js';\n" },
  { rule: 'runtime ↛ ts-morph', filePath: 'runtime/probe.ts', source: "import 'ts-morph';\n" },
  { rule: 'generated ↛ generator', filePath: 'generated/probe.ts', source: "import '../generator/generate.js';\n" },
  { rule: 'generated ↛ cli', filePath: 'generated/probe.ts', source: "import '../cli/main.js';\n" },
  { rule: 'generator ↛ handlers', filePath: 'generator/probe.ts', source: "import '../handlers/process-data.js';\n" },
  { rule: 'generator ↛ generated', filePath: 'generator/probe.ts', source: "import '../generated/client.js';\n" },
  {
    rule: 'generator ↛ runtime sources',
    filePath: 'generator/probe.ts',
    source: "import '../runtime/wire-format.js';\n",
  },
  { rule: 'cli ↛ generator', filePath: 'cli/probe.ts', source: "import '../generator/generate.js';\n" },
  { rule: 'cli ↛ ts-morph', filePath: 'cli/probe.ts', source: "import 'ts-morph';\n" },
];

describe('dependency rules (eslint.config.js)', () => {
  const eslint = new ESLint();

  for (const probe of probes) {
    it(`refuses ${probe.rule}`, async () => {
      const [result] = await eslint.lintText(probe.source, { filePath: probe.filePath });
      const ruleIds = result!.messages.map((message) => message.ruleId);
      assert.ok(ruleIds.includes('no-restricted-imports'), `${probe.filePath}: ${JSON.stringify(result!.messages)}`);
    });
  }

  it('allows the imports the architecture wants', async () => {
    const allowed = [
      { filePath: 'generated/probe.ts', source: "import '../runtime/index.js';\nimport '../jobs.schema.js';\n" },
      { filePath: 'cli/probe.ts', source: "import '../runtime/index.js';\n" },
      { filePath: 'generator/probe.ts', source: "import 'rabbitmq-arq/internal';\nimport 'rabbitmq-arq';\n" },
      { filePath: 'handlers/probe.ts', source: "import '../generated/client.js';\n" },
    ];
    for (const { filePath, source } of allowed) {
      const [result] = await eslint.lintText(source, { filePath });
      const restricted = result!.messages.filter((message) => message.ruleId === 'no-restricted-imports');
      assert.deepEqual(restricted, [], filePath);
    }
  });
});
