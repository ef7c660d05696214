/**
 * Questions about user schemas answered by their structure, not `instanceof`: a user's schema may
 * come from another copy of Zod than ours (two versions in node_modules), and `instanceof` would
 * then wrongly say no.
 */
import type { z } from 'zod';

export function isZodSchema(value: unknown): value is z.ZodType {
  return (
    typeof value === 'object' &&
    value !== null &&
    '_zod' in value &&
    typeof (value as { safeParse?: unknown }).safeParse === 'function'
  );
}

/** Keys of an object schema in declaration order (for positional args), or undefined for any other schema. */
export function objectSchemaKeys(schema: z.ZodType | undefined): string[] | undefined {
  const def = (schema as { _zod?: { def?: { type?: string; shape?: Record<string, unknown> } } } | undefined)?._zod
    ?.def;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : undefined;
}
