import { z } from 'zod';

/** A field of a job's schema, by its path in the value (`nested.items[]`), and what is wrong with it. */
export interface FieldProblem {
  path: string;
  message: string;
}

/** A field whose type cannot travel as JSON: an error at generate time. */
export type UnsupportedField = FieldProblem;

/** The JSON Schema of one side of a job's schema, and the fields it cannot describe faithfully. */
export interface ConvertedSchema {
  jsonSchema: Record<string, unknown>;
  /** Fields that cannot travel as JSON at all (errors). */
  unsupported: UnsupportedField[];
  /**
   * Fields whose Zod checks JSON Schema cannot express (refinements, custom types): the JSON Schema
   * accepts values the Zod schema rejects, so a producer that validates with it can still send a
   * job the worker dead-letters (warnings).
   */
  lossy: FieldProblem[];
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
  function: 'a function cannot travel as JSON; send data (a name, an id) and pick the behaviour in the handler',
  file: 'z.file() cannot travel as JSON; send a URL or an id',
  nan: 'z.nan() cannot travel as JSON',
  undefined: 'z.undefined() cannot travel as JSON (JSON has no undefined); make the field optional with .optional()',
  void: 'z.void() cannot travel as JSON (JSON has no undefined); make the field optional with .optional()',
};

const transformMessage = {
  input:
    'a transform (.transform() or z.preprocess()) cannot travel as JSON: the client encodes arguments with z.encode, which cannot run a transform backwards, and producers in other languages cannot see what it does; keep the field a plain JSON type and convert it in the handler, or use z.codec() with both decode and encode',
  output:
    'a transform (.transform() or z.preprocess()) cannot travel as JSON: consumers in other languages cannot see what it does; return the plain value and let the reader convert it, or use z.codec() with both decode and encode',
};

const refinementMessage = {
  input:
    'a refinement (.refine(), .superRefine() or .check()) cannot be expressed in JSON Schema: producers that validate with the generated schema accept values the worker rejects (dead-lettered as INVALID_JOB_ARGS); validate it in the producer too, or express it with checks JSON Schema knows (min, max, regex, enum)',
  output:
    'a refinement (.refine(), .superRefine() or .check()) cannot be expressed in JSON Schema: readers that validate results with the generated schema check less than the worker does',
};
const customMessage =
  'z.custom() and z.instanceof() have no JSON Schema: the generated schema accepts any value here, while the worker checks it; a class instance cannot travel as JSON at all, so prefer a plain JSON type';

/**
 * Converts a job's args (`io: 'input'`, what producers send) or result (`io: 'output'`) schema to
 * JSON Schema draft-07 with Zod's own converter, mapping the runtime's `isoDate` codec to an ISO
 * date-time string (with Zod's own pattern, so the JSON Schema is exactly as strict as the codec).
 * Fields that cannot travel as JSON are reported, `z.date()` with a pointer to `isoDate`; they
 * become `{}` in the JSON Schema so conversion always finishes. Refinements are reported as lossy.
 */
export function convertJsonSchema(schema: unknown, io: 'input' | 'output', isoDate: unknown): ConvertedSchema {
  const unsupported: UnsupportedField[] = [];
  const lossy: FieldProblem[] = [];
  findProblems(schema as ZodNode, '', { io, isoDate, seen: new Set(), unsupported, lossy });
  const isoDateJson = isoDate === undefined ? undefined : isoDateJsonSchema(isoDate);
  const jsonSchema = z.toJSONSchema(schema as z.ZodType, {
    io,
    target: 'draft-7',
    unrepresentable: 'any',
    override: (ctx) => {
      if (isoDateJson !== undefined && ctx.zodSchema === isoDate) {
        const json = ctx.jsonSchema as Record<string, unknown>;
        for (const key of Object.keys(json)) delete json[key];
        Object.assign(json, structuredClone(isoDateJson));
      }
    },
  }) as Record<string, unknown>;
  return { jsonSchema, unsupported, lossy };
}

/**
 * The JSON Schema of `isoDate`'s wire form: its input side is `z.iso.datetime({ offset: true })` or a
 * `Date`, and only the string travels. Zod's own conversion of that string schema carries the exact
 * pattern it checks, so a producer validating with the JSON Schema accepts what the worker accepts.
 */
function isoDateJsonSchema(isoDate: unknown): Record<string, unknown> {
  if (typeof isoDate === 'object' && isoDate !== null) {
    let json = isoDateJson.get(isoDate);
    if (json === undefined) isoDateJson.set(isoDate, (json = convertIsoDate(isoDate)));
    return json;
  }
  return convertIsoDate(isoDate);
}
const isoDateJson = new WeakMap<object, Record<string, unknown>>();

function convertIsoDate(isoDate: unknown): Record<string, unknown> {
  const fallback = { type: 'string', format: 'date-time' };
  if (!isZodNode(isoDate)) return fallback;
  const wire = isoDate._zod.def.in;
  const options = isZodNode(wire) && wire._zod.def.type === 'union' ? (wire._zod.def.options as unknown[]) : [wire];
  const text = options.find((option) => isZodNode(option) && option._zod.def.type === 'string');
  if (text === undefined) return fallback;
  const json = z.toJSONSchema(text as z.ZodType, { target: 'draft-7' }) as Record<string, unknown>;
  delete json.$schema;
  return json.type === 'string' && json.format === 'date-time' ? json : fallback;
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

interface Walk {
  io: 'input' | 'output';
  isoDate: unknown;
  seen: Set<unknown>;
  unsupported: UnsupportedField[];
  lossy: FieldProblem[];
}

/** A codec (`z.codec`) runs both ways, so it can be encoded; a plain pipe with a transform cannot. */
function isCodec(def: Record<string, unknown>): boolean {
  return typeof def.transform === 'function' && typeof def.reverseTransform === 'function';
}

/**
 * Walks the schema the way data flows on the chosen side (`in` of a codec for input, `out` for
 * output; both sides of any other pipe, since the client parses then encodes), collecting nodes that
 * have no JSON form and checks JSON Schema cannot express. `isoDate` is a leaf: its inner `z.date()` is fine.
 */
function findProblems(node: ZodNode, path: string, walk: Walk): void {
  if (!isZodNode(node) || node === walk.isoDate || walk.seen.has(node)) return;
  walk.seen.add(node);
  const def = node._zod.def;
  const here = path === '' ? '(the whole value)' : path;
  const visit = (child: unknown, childPath: string): void => {
    if (isZodNode(child)) findProblems(child, childPath, walk);
  };
  const checks = Array.isArray(def.checks) ? (def.checks as unknown[]) : [];
  const isCustomCheck = (check: unknown): boolean =>
    (check as { _zod?: { def?: { check?: unknown } } } | null)?._zod?.def?.check === 'custom';
  if (checks.some(isCustomCheck)) {
    walk.lossy.push({ path: here, message: refinementMessage[walk.io] });
  }
  switch (def.type) {
    case 'date':
      walk.unsupported.push({
        path: here,
        message:
          "z.date() cannot travel as JSON; use isoDate from 'rabbitmq-arq' (a Date in handlers, an ISO-8601 string on the wire)",
      });
      return;
    case 'transform':
      walk.unsupported.push({ path: here, message: transformMessage[walk.io] });
      return;
    case 'custom':
      walk.lossy.push({ path: here, message: customMessage });
      return;
    case 'literal': {
      const values = (def.values ?? []) as unknown[];
      if (values.some((value) => typeof value === 'bigint'))
        walk.unsupported.push({ path: here, message: notJson.bigint as string });
      else if (values.some((value) => value === undefined))
        walk.unsupported.push({ path: here, message: notJson.undefined as string });
      return;
    }
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
      if (isCodec(def)) {
        visit(walk.io === 'input' ? def.in : def.out, path);
      } else {
        visit(def.in, path);
        visit(def.out, path);
      }
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
      if (reason !== undefined) walk.unsupported.push({ path: here, message: reason });
    }
  }
}
