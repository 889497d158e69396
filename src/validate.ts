// Option validation with messages that name the bad field and what it accepts.
import type { z } from 'zod';
import { dplError } from './errors.js';

export function formatIssues(error: z.ZodError, what: string): string {
  const lines = error.issues.map((i) => {
    const field = i.path.length ? i.path.join('.') : '(value)';
    return `${field}: ${i.message}`;
  });
  return `invalid ${what}: ${lines.join('; ')}`;
}

/** Parses `value` with `schema` or throws a TypeError (ERR_DPL_ARG) naming each bad field. */
export function parseOptions<S extends z.ZodTypeAny>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw dplError('ERR_DPL_ARG', formatIssues(r.error, what));
  return r.data;
}
