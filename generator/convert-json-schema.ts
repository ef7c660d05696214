import { z } from 'zod';

/** A field whose type cannot travel as JSON, by its path in the arguments (`nested.items[]`). */
export interface UnsupportedField {
  path: string;
  message: string;
}

/** The JSON Schema of one side of a job's schema, and the fields that cannot travel as JSON. */
export interface ConvertedSchema {
  jsonSchema: Record<string, unknown>;
  unsupported: UnsupportedField[];
}

/** What Zod knows about every schema node; enough to walk any Zod 4 schema whatever copy of Zod built it. */
interface ZodNode {
  _zod: { def: Record<string, unknown> & { type: string } };
}

const notJson: Record<string, string> = {
  bigint: 'z.bigint() cannot travel as JSON; use z.string() or z.number().int()',
  symbol: 'z.symbol() cannot travel as JSON',
  map: 'z.map() cannot travel as JSON; use z.record() or an array of pairs',
  set: 'z.set() cannot travel as JSON; use z.array()',
  promise: 'z.promise() cannot travel as JSON',
  function: 'a function cannot travel as JSON',
  file: 'z.file() cannot travel as JSON; send a URL or an id',
  nan: 'z.nan() cannot travel as JSON',
};

/**
 * Converts a job's args (`io: 'input'`, what producers send) or result (`io: 'output'`) schema to
 * JSON Schema draft-07 with Zod's own converter, mapping the runtime's `isoDate` codec to an ISO
 * date-time string. Fields that cannot travel as JSON are reported, `z.date()` with a pointer to
 * `isoDate`; they become `{}` in the JSON Schema so conversion always finishes.
 */
export function convertJsonSchema(schema: unknown, io: 'input' | 'output', isoDate: unknown): ConvertedSchema {
  const unsupported: UnsupportedField[] = [];
  findUnsupported(schema as ZodNode, '', io, isoDate, new Set(), unsupported);
  const jsonSchema = z.toJSONSchema(schema as z.ZodType, {
    io,
    target: 'draft-7',
    unrepresentable: 'any',
    override: (ctx) => {
      if (isoDate !== undefined && ctx.zodSchema === isoDate) {
        const json = ctx.jsonSchema as Record<string, unknown>;
        for (const key of Object.keys(json)) delete json[key];
        Object.assign(json, { type: 'string', format: 'date-time' });
      }
    },
  }) as Record<string, unknown>;
  return { jsonSchema, unsupported };
}

function isZodNode(value: unknown): value is ZodNode {
  return (
    typeof value === 'object' &&
    value !== null &&
    '_zod' in value &&
    typeof (value as ZodNode)._zod === 'object' &&
    typeof (value as ZodNode)._zod.def?.type === 'string'
  );
}

/**
 * Walks the schema the way data flows on the chosen side (`in` of a pipe for input, `out` for
 * output), collecting nodes that have no JSON form. `isoDate` is a leaf: its inner `z.date()` is fine.
 */
function findUnsupported(
  node: ZodNode,
  path: string,
  io: 'input' | 'output',
  isoDate: unknown,
  seen: Set<unknown>,
  found: UnsupportedField[],
): void {
  if (!isZodNode(node) || node === isoDate || seen.has(node)) return;
  seen.add(node);
  const def = node._zod.def;
  const here = path === '' ? '(the whole value)' : path;
  const visit = (child: unknown, childPath: string): void => {
    if (isZodNode(child)) findUnsupported(child, childPath, io, isoDate, seen, found);
  };
  switch (def.type) {
    case 'date':
      found.push({
        path: here,
        message:
          "z.date() cannot travel as JSON; use isoDate from 'rabbitmq-arq' (a Date in handlers, an ISO-8601 string on the wire)",
      });
      return;
    case 'object': {
      const shape = (def.shape ?? {}) as Record<string, unknown>;
      for (const key of Object.keys(shape)) visit(shape[key], path === '' ? key : `${path}.${key}`);
      visit(def.catchall, `${path}[*]`);
      return;
    }
    case 'array':
      visit(def.element, `${path}[]`);
      return;
    case 'tuple':
      for (const [index, item] of ((def.items ?? []) as unknown[]).entries()) visit(item, `${path}[${index}]`);
      visit(def.rest, `${path}[]`);
      return;
    case 'record':
      visit(def.valueType, `${path}[*]`);
      return;
    case 'union':
      for (const option of (def.options ?? []) as unknown[]) visit(option, path);
      return;
    case 'intersection':
      visit(def.left, path);
      visit(def.right, path);
      return;
    case 'pipe':
      visit(io === 'input' ? def.in : def.out, path);
      return;
    case 'lazy':
      visit(typeof def.getter === 'function' ? (def.getter as () => unknown)() : undefined, path);
      return;
    case 'optional':
    case 'nonoptional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
    case 'success':
      visit(def.innerType, path);
      return;
    default: {
      const reason = notJson[def.type];
      if (reason !== undefined) found.push({ path: here, message: reason });
    }
  }
}
