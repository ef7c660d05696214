/**
 * Schema evolution: compares each job's new args JSON Schema with the one generated last time and
 * names the changes that would dead-letter jobs already in a queue, that is, values the old schema
 * accepted and the new one refuses: a new required field, a narrowed type, a removed enum value, a
 * tighter bound. Additive changes (an optional field, a field with a default, a new enum value, a
 * wider type) say nothing. Pure: both schemas come in as data.
 *
 * The comparison is conservative in one direction only: it may miss an exotic narrowing (inside an
 * `allOf` it only says that something changed), but it never calls a widening a narrowing.
 */
import type { Diagnostic, SchemaModel } from './model.js';

type Schema = Record<string, unknown>;

/** One narrowing, at a field path (`customer.email`, `lines[].quantity`, `prices[*]`). */
export interface Narrowing {
  path: string;
  /** What old values are now refused, e.g. `is new and required`. */
  change: string;
  /** The safe way to make the change. */
  fix: string;
}

/** What the previous run left in the output folder, as far as evolution needs it. */
export interface PreviousOutput {
  /** By job name: its queue (undefined: the client's default) and its args schema when the file was there. */
  jobs: Map<
    string,
    { queue: string | undefined; argsSchemaHash: string | undefined; argsJsonSchema: Schema | undefined }
  >;
}

const deadLetters = 'jobs already queued (and producers not yet updated) will be dead-lettered as INVALID_JOB_ARGS';

/** Warnings, one per narrowing per job, plus removed jobs and jobs that moved to another queue. */
export function evolutionWarnings(previous: PreviousOutput, model: SchemaModel): Diagnostic[] {
  const warnings: Diagnostic[] = [];
  const current = new Map(model.jobs.map((job) => [job.name, job]));
  for (const [name, before] of [...previous.jobs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const job = current.get(name);
    if (!job) {
      warnings.push({
        location: { file: model.schemaDisplayPath },
        job: name,
        message: `was removed, but jobs already queued for it (queue ${quoteQueue(before.queue)}) will be dead-lettered as UnknownJob (x-error-category unknown_job); keep the job and its handler until no such job is left in the queue, then remove it`,
      });
      continue;
    }
    if (before.queue !== job.effectiveQueue) {
      warnings.push({
        location: job.location,
        job: name,
        message: `moved from queue ${quoteQueue(before.queue)} to ${quoteQueue(job.effectiveQueue)}: workers of this schema no longer consume the jobs already queued on ${quoteQueue(before.queue)}; let that queue drain first (or keep a worker on it)`,
      });
    }
    if (before.argsJsonSchema === undefined || before.argsSchemaHash === job.argsSchemaHash) continue;
    for (const narrowing of compareArgsSchemas(before.argsJsonSchema, job.argsJsonSchema)) {
      warnings.push({ location: job.location, job: name, message: formatNarrowing(narrowing) });
    }
  }
  return warnings;
}

export function formatNarrowing(narrowing: Narrowing): string {
  const field = narrowing.path === '' ? 'args' : `args field "${narrowing.path}"`;
  return `${field} ${narrowing.change}: ${deadLetters}; ${narrowing.fix}`;
}

function quoteQueue(queue: string | undefined): string {
  return queue === undefined ? "(the client's default)" : `"${queue}"`;
}

/** The narrowings from `before` to `after`, two JSON Schemas of a job's args. */
export function compareArgsSchemas(before: Schema, after: Schema): Narrowing[] {
  const found: Narrowing[] = [];
  new Comparison(before, after).compare(before, after, '', found);
  return dedupe(found);
}

function dedupe(narrowings: Narrowing[]): Narrowing[] {
  const seen = new Set<string>();
  return narrowings.filter((narrowing) => {
    const key = `${narrowing.path}\0${narrowing.change}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const widenLater =
  'keep accepting the old values (widen the new schema, e.g. with z.union of old and new) until no old job is left in the queue, then narrow it';

class Comparison {
  private readonly visiting = new Set<string>();
  private readonly ids = new Map<object, number>();

  constructor(
    private readonly beforeRoot: Schema,
    private readonly afterRoot: Schema,
  ) {}

  compare(beforeNode: unknown, afterNode: unknown, path: string, found: Narrowing[]): void {
    const before = resolve(this.beforeRoot, beforeNode);
    const after = resolve(this.afterRoot, afterNode);
    if (acceptsAnything(after)) return;
    // Recursive schemas: a pair already being compared higher up adds nothing new.
    const pair = `${this.id(before)}:${this.id(after)}`;
    if (this.visiting.has(pair)) return;
    this.visiting.add(pair);
    try {
      this.compareResolved(before, after, path, found);
    } finally {
      this.visiting.delete(pair);
    }
  }

  private compareResolved(before: Schema, after: Schema, path: string, found: Narrowing[]): void {
    if (Array.isArray(before.allOf) || Array.isArray(after.allOf)) {
      if (JSON.stringify(before) !== JSON.stringify(after)) {
        found.push({
          path,
          change: 'changed inside an intersection (allOf), which arq-gen cannot compare',
          fix: 'check that every job already queued still passes the new schema',
        });
      }
      return;
    }
    const beforeBranches = branches(this.beforeRoot, before);
    const afterBranches = branches(this.afterRoot, after);
    if (beforeBranches.length === 1 && afterBranches.length === 1) {
      this.compareSingle(beforeBranches[0] as Schema, afterBranches[0] as Schema, path, found);
      return;
    }
    // A union: every old branch must still be accepted by some new branch.
    for (const oldBranch of beforeBranches) {
      let best: Narrowing[] | undefined;
      for (const newBranch of afterBranches) {
        if (!typesOverlap(oldBranch, newBranch)) continue;
        const issues: Narrowing[] = [];
        this.compareSingle(oldBranch, newBranch, path, issues);
        if (best === undefined || issues.length < best.length) best = issues;
        if (issues.length === 0) break;
      }
      if (best === undefined) {
        const wasNullable = oldBranch.type === 'null' || (allowedValues(oldBranch) ?? [undefined])[0] === null;
        const change = wasNullable
          ? 'no longer accepts null (it was nullable)'
          : `no longer accepts ${describeBranch(oldBranch)}`;
        found.push({ path, change, fix: widenLater });
      } else {
        found.push(...best);
      }
    }
  }

  private compareSingle(before: Schema, after: Schema, path: string, found: Narrowing[]): void {
    if (acceptsAnything(after)) return;
    if (isNothing(before)) return;
    if (isNothing(after)) {
      found.push({ path, change: 'accepts nothing any more', fix: widenLater });
      return;
    }
    const beforeTypes = typesOf(before);
    const afterTypes = typesOf(after);
    if (afterTypes !== undefined) {
      if (beforeTypes === undefined) {
        found.push({ path, change: `now only accepts ${[...afterTypes].join(' or ')}`, fix: widenLater });
        return;
      }
      const lost = [...beforeTypes].filter((type) => !covers(afterTypes, type));
      if (lost.length > 0) {
        found.push({ path, change: describeTypeLoss(lost, beforeTypes, afterTypes), fix: widenLater });
      }
    }
    this.compareValues(before, after, path, found);
    // Constraints of a kind apply only where both sides may hold a value of that kind.
    const both = (...kinds: string[]): boolean =>
      [beforeTypes, afterTypes].every((types) => types === undefined || kinds.some((kind) => types.has(kind)));
    if (both('number', 'integer')) compareNumbers(before, after, path, found);
    if (both('string')) compareStrings(before, after, path, found);
    if (both('array')) this.compareArrays(before, after, path, found);
    if (both('object')) this.compareObjects(before, after, path, found);
  }

  private compareValues(before: Schema, after: Schema, path: string, found: Narrowing[]): void {
    const afterValues = allowedValues(after);
    if (afterValues === undefined) return;
    const beforeValues = allowedValues(before);
    if (beforeValues === undefined) {
      found.push({
        path,
        change: `now only accepts ${afterValues.map(show).join(', ')}`,
        fix: 'keep accepting any value of the old type until no old job is left in the queue',
      });
      return;
    }
    const kept = new Set(afterValues.map((value) => JSON.stringify(value)));
    const removed = beforeValues.filter((value) => !kept.has(JSON.stringify(value)));
    if (removed.length > 0) {
      found.push({
        path,
        change: `no longer accepts ${removed.map(show).join(', ')} (removed from the enum)`,
        fix: 'keep the value in the enum (and handle it in the handler) until no queued job carries it, then remove it',
      });
    }
  }

  private compareArrays(before: Schema, after: Schema, path: string, found: Narrowing[]): void {
    tighterLower(before.minItems, after.minItems, path, 'minItems', found);
    tighterUpper(before.maxItems, after.maxItems, path, 'maxItems', found);
    if (after.uniqueItems === true && before.uniqueItems !== true) {
      found.push({ path, change: 'now refuses repeated items', fix: widenLater });
    }
    const beforeItems = before.items;
    const afterItems = after.items;
    if (Array.isArray(afterItems)) {
      const list = Array.isArray(beforeItems) ? beforeItems : [];
      for (const [index, item] of afterItems.entries()) {
        const old = Array.isArray(beforeItems) ? list[index] : beforeItems;
        if (old !== undefined) this.compare(old, item, `${path}[${index}]`, found);
      }
      if (after.additionalItems === false && !Array.isArray(beforeItems)) {
        found.push({ path, change: 'became a fixed-length tuple', fix: widenLater });
      }
      return;
    }
    if (afterItems === undefined) return;
    if (Array.isArray(beforeItems)) {
      for (const [index, item] of beforeItems.entries()) this.compare(item, afterItems, `${path}[${index}]`, found);
      return;
    }
    this.compare(beforeItems ?? {}, afterItems, `${path}[]`, found);
  }

  private compareObjects(before: Schema, after: Schema, path: string, found: Narrowing[]): void {
    const beforeProperties = asRecord(before.properties);
    const afterProperties = asRecord(after.properties);
    const beforeRequired = new Set(asStrings(before.required));
    const join = (key: string): string => (path === '' ? key : `${path}.${key}`);

    for (const key of asStrings(after.required)) {
      if (beforeRequired.has(key)) continue;
      if (key in beforeProperties) {
        found.push({
          path: join(key),
          change: 'became required',
          fix: 'keep it optional, or give it a default with .default(...)',
        });
      } else {
        found.push({
          path: join(key),
          change: 'is new and required',
          fix: 'add it with .optional() or with a .default(...) instead',
        });
      }
    }
    for (const [key, afterProperty] of Object.entries(afterProperties)) {
      if (key in beforeProperties) this.compare(beforeProperties[key], afterProperty, join(key), found);
      else if (isSchema(before.additionalProperties))
        this.compare(before.additionalProperties, afterProperty, join(key), found);
    }
    for (const [key, beforeProperty] of Object.entries(beforeProperties)) {
      if (key in afterProperties) continue;
      if (after.additionalProperties === false) {
        found.push({
          path: join(key),
          change: 'was removed from an object that refuses unknown keys',
          fix: 'keep the field (optional) until no queued job carries it, or use z.object (which strips unknown keys) instead of z.strictObject',
        });
      } else if (isSchema(after.additionalProperties)) {
        this.compare(beforeProperty, after.additionalProperties, join(key), found);
      }
    }
    if (after.additionalProperties === false && before.additionalProperties !== false) {
      found.push({
        path,
        change: 'now refuses unknown keys',
        fix: 'keep z.object (which strips unknown keys) until producers send no extra keys',
      });
    } else if (isSchema(after.additionalProperties)) {
      this.compare(
        isSchema(before.additionalProperties) ? before.additionalProperties : {},
        after.additionalProperties,
        path === '' ? '[*]' : `${path}[*]`,
        found,
      );
    }
    if (after.propertyNames !== undefined)
      this.compare(before.propertyNames ?? {}, after.propertyNames, `${path} (keys)`, found);
    tighterLower(before.minProperties, after.minProperties, path, 'minProperties', found);
    tighterUpper(before.maxProperties, after.maxProperties, path, 'maxProperties', found);
  }

  private id(node: object): number {
    let id = this.ids.get(node);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(node, id);
    }
    return id;
  }
}

/** Follows local references (`#`, `#/definitions/x`) within the schema's own document. */
function resolve(root: Schema, node: unknown): Schema {
  let current: unknown = node;
  for (let depth = 0; depth < 32; depth += 1) {
    if (current === true || current === undefined) return {};
    if (current === false) return { not: {} };
    if (!isSchema(current)) return {};
    const ref = current.$ref;
    if (typeof ref !== 'string' || !ref.startsWith('#')) return current;
    let target: unknown = root;
    for (const segment of ref
      .slice(1)
      .split('/')
      .filter((part) => part !== '')) {
      const key = decodeURIComponent(segment).replace(/~1/g, '/').replace(/~0/g, '~');
      target = isSchema(target) ? target[key] : undefined;
    }
    current = target;
  }
  return {};
}

/** The alternatives of a node: its `anyOf` / `oneOf` branches (resolved, flattened), or itself. */
function branches(root: Schema, node: Schema): Schema[] {
  const list = Array.isArray(node.anyOf) ? node.anyOf : Array.isArray(node.oneOf) ? node.oneOf : undefined;
  if (list === undefined) return [node];
  return list.flatMap((branch) => branches(root, resolve(root, branch)));
}

const validationKeywords = new Set([
  'type',
  'enum',
  'const',
  'not',
  'anyOf',
  'oneOf',
  'allOf',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'minProperties',
  'maxProperties',
  'items',
  'additionalItems',
  'minItems',
  'maxItems',
  'uniqueItems',
  'contains',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  '$ref',
  'if',
]);

function acceptsAnything(node: Schema): boolean {
  return Object.keys(node).every((key) => !validationKeywords.has(key));
}

function isNothing(node: Schema): boolean {
  return isSchema(node.not) && acceptsAnything(node.not);
}

/** The JSON types a node allows, from `type` or its `const` / `enum` values; undefined when unconstrained. */
function typesOf(node: Schema): Set<string> | undefined {
  if (typeof node.type === 'string') return new Set([node.type]);
  if (Array.isArray(node.type)) return new Set(node.type as string[]);
  const values = allowedValues(node);
  if (values !== undefined) return new Set(values.map(jsonType));
  return undefined;
}

function covers(types: Set<string>, type: string): boolean {
  return types.has(type) || (type === 'integer' && types.has('number'));
}

function typesOverlap(a: Schema, b: Schema): boolean {
  const left = typesOf(a);
  const right = typesOf(b);
  if (left === undefined || right === undefined) return true;
  return [...left].some((type) => covers(right, type) || (type === 'number' && right.has('integer')));
}

function describeTypeLoss(lost: string[], before: Set<string>, after: Set<string>): string {
  if (lost.length === 1 && lost[0] === 'null') return 'no longer accepts null (it was nullable)';
  if (lost.length === 1 && lost[0] === 'number' && after.has('integer'))
    return 'no longer accepts fractional numbers (number became integer)';
  return `changed type from ${[...before].join(' or ')} to ${[...after].join(' or ')}`;
}

function describeBranch(branch: Schema): string {
  const values = allowedValues(branch);
  if (values !== undefined) return values.map(show).join(', ');
  const types = typesOf(branch);
  return types === undefined ? 'what it accepted before' : [...types].join(' or ');
}

function allowedValues(node: Schema): unknown[] | undefined {
  if ('const' in node) return [node.const];
  if (Array.isArray(node.enum)) return node.enum;
  return undefined;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function show(value: unknown): string {
  return JSON.stringify(value);
}

const safeInteger = Number.MAX_SAFE_INTEGER;

/** Lower bounds: `minimum` (inclusive) and draft-07's numeric `exclusiveMinimum`; Zod's ±2^53-1 integer bounds are not news. */
function compareNumbers(before: Schema, after: Schema, path: string, found: Narrowing[]): void {
  const lower = (node: Schema): [number, boolean] | undefined => bound(node.minimum, node.exclusiveMinimum, 1);
  const upper = (node: Schema): [number, boolean] | undefined => bound(node.maximum, node.exclusiveMaximum, -1);
  const [beforeLow, afterLow] = [lower(before), lower(after)];
  if (
    afterLow &&
    afterLow[0] !== -safeInteger &&
    (!beforeLow || afterLow[0] > beforeLow[0] || (afterLow[0] === beforeLow[0] && afterLow[1] && !beforeLow[1]))
  ) {
    found.push({
      path,
      change: `now refuses numbers ${afterLow[1] ? 'up to and including' : 'below'} ${afterLow[0]}${beforeLow ? ` (the bound was ${beforeLow[1] ? '>' : '>='} ${beforeLow[0]})` : ''}`,
      fix: widenLater,
    });
  }
  const [beforeHigh, afterHigh] = [upper(before), upper(after)];
  if (
    afterHigh &&
    afterHigh[0] !== safeInteger &&
    (!beforeHigh || afterHigh[0] < beforeHigh[0] || (afterHigh[0] === beforeHigh[0] && afterHigh[1] && !beforeHigh[1]))
  ) {
    found.push({
      path,
      change: `now refuses numbers ${afterHigh[1] ? 'from' : 'above'} ${afterHigh[0]}${afterHigh[1] ? ' up' : ''}${beforeHigh ? ` (the bound was ${beforeHigh[1] ? '<' : '<='} ${beforeHigh[0]})` : ''}`,
      fix: widenLater,
    });
  }
  if (typeof after.multipleOf === 'number') {
    const old = before.multipleOf;
    if (typeof old !== 'number' || !Number.isInteger(old / after.multipleOf)) {
      found.push({ path, change: `now only accepts multiples of ${after.multipleOf}`, fix: widenLater });
    }
  }
}

/** `[value, exclusive]` of the tighter of an inclusive and an exclusive bound (`direction` 1: lower, -1: upper). */
function bound(inclusive: unknown, exclusive: unknown, direction: 1 | -1): [number, boolean] | undefined {
  const candidates: Array<[number, boolean]> = [];
  if (typeof inclusive === 'number') candidates.push([inclusive, false]);
  if (typeof exclusive === 'number') candidates.push([exclusive, true]);
  if (candidates.length === 0) return undefined;
  return candidates.reduce((a, b) => (direction * (b[0] - a[0]) > 0 || (b[0] === a[0] && b[1] && !a[1]) ? b : a));
}

function compareStrings(before: Schema, after: Schema, path: string, found: Narrowing[]): void {
  tighterLower(before.minLength, after.minLength, path, 'minLength', found);
  tighterUpper(before.maxLength, after.maxLength, path, 'maxLength', found);
  if (typeof after.pattern === 'string' && after.pattern !== before.pattern) {
    found.push({
      path,
      change: before.pattern === undefined ? 'now has to match a pattern' : 'has to match another pattern',
      fix: widenLater,
    });
  }
  if (typeof after.format === 'string' && after.format !== before.format) {
    found.push({ path, change: `now has to be a valid ${after.format}`, fix: widenLater });
  }
}

function tighterLower(before: unknown, after: unknown, path: string, keyword: string, found: Narrowing[]): void {
  if (typeof after !== 'number' || after === 0) return;
  if (typeof before === 'number' && before >= after) return;
  found.push({
    path,
    change: `${keyword} rose to ${after}${typeof before === 'number' ? ` (from ${before})` : ''}`,
    fix: widenLater,
  });
}

function tighterUpper(before: unknown, after: unknown, path: string, keyword: string, found: Narrowing[]): void {
  if (typeof after !== 'number') return;
  if (typeof before === 'number' && before <= after) return;
  found.push({
    path,
    change: `${keyword} fell to ${after}${typeof before === 'number' ? ` (from ${before})` : ''}`,
    fix: widenLater,
  });
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asRecord(value: unknown): Record<string, unknown> {
  return isSchema(value) ? value : {};
}

function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}
