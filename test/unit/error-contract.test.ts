// The error contract (docs/errors.md): every error class is exported, its code is listed in the doc
// next to its name, the doc lists no class the code lacks, and lint refuses a bare `throw new Error`
// in runtime/ and cli/.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';
import * as api from '../../runtime/index.js';
import { ArqError } from '../../runtime/errors.js';

type AnyErrorClass = new (...args: unknown[]) => ArqError;

/** Every exported ArqError class with its code, read from an instance (the code is an instance field). */
function exportedCodes(): Map<string, string> {
  const codes = new Map<string, string>();
  for (const [name, value] of Object.entries(api)) {
    if (typeof value !== 'function' || value === ArqError || !(value.prototype instanceof ArqError)) continue;
    // Strings fit every constructor's parameters: messages, ids, counts only end up in the message.
    const instance = new (value as AnyErrorClass)('x', 'x', 'x', 'x', 'x');
    assert.equal(instance.name, name, `${name}: err.name is the class name`);
    codes.set(name, instance.code);
  }
  return codes;
}

/** `| \`Class\` | \`CODE\` | …` rows of docs/errors.md. */
function documentedCodes(): Map<string, string> {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const codes = new Map<string, string>();
  for (const match of doc.matchAll(/^\| `(\w+)`\s*\| `([A-Z_]+)`\s*\|/gm)) {
    assert.ok(!codes.has(match[1]!), `${match[1]} is listed twice`);
    codes.set(match[1]!, match[2]!);
  }
  return codes;
}

describe('error contract', () => {
  it('exports every ArqError class that runtime/errors.ts declares', () => {
    const source = readFileSync(new URL('../../runtime/errors.ts', import.meta.url), 'utf8');
    const declared = [...source.matchAll(/^export class (\w+) extends ArqError/gm)].map((m) => m[1]!).sort();
    assert.deepEqual([...exportedCodes().keys()].sort(), declared);
  });

  it('lists every exported class in docs/errors.md with its code, and nothing else', () => {
    const exported = exportedCodes();
    const documented = documentedCodes();
    assert.deepEqual(
      [...exported.keys()].filter((name) => !documented.has(name)),
      [],
      'classes missing from docs/errors.md',
    );
    assert.deepEqual(
      [...documented.keys()].filter((name) => !exported.has(name)),
      [],
      'classes in docs/errors.md that rabbitmq-arq does not export',
    );
    for (const [name, code] of exported) assert.equal(documented.get(name), code, `${name}: code in docs/errors.md`);
    const codes = [...exported.values()];
    assert.equal(new Set(codes).size, codes.length, 'every code belongs to one class');
  });

  describe('lint (eslint.config.js)', () => {
    const eslint = new ESLint();
    const restricted = async (filePath: string, source: string): Promise<number> => {
      const [result] = await eslint.lintText(source, { filePath });
      return result!.messages.filter((message) => message.ruleId === 'no-restricted-syntax').length;
    };

    for (const filePath of ['runtime/probe.ts', 'runtime/worker/probe.ts', 'cli/probe.ts']) {
      it(`refuses a bare Error, TypeError or RangeError thrown in ${filePath}`, async () => {
        for (const thrown of ["new Error('x')", "new TypeError('x')", "new RangeError('x')", "Error('x')"])
          assert.equal(await restricted(filePath, `export function f(): never {\n  throw ${thrown};\n}\n`), 1, thrown);
      });
    }

    it('allows an ArqError subclass there, and a plain Error where no contract applies', async () => {
      const ours = "import { InvalidSettings } from './errors.js';\nthrow new InvalidSettings('x');\n";
      assert.equal(await restricted('runtime/probe.ts', ours), 0);
      assert.equal(await restricted('test/unit/probe.ts', "throw new Error('x');\n"), 0);
    });
  });
});
