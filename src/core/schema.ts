/** Helpers the product's zod schemas share (connector configs, log filters). */
import type { z } from 'zod';
import type { FieldError } from './errors.js';

/** Printable ASCII only: the spec forbids multibyte characters in the name. */
export const PRINTABLE_ASCII = /^[\x20-\x7E]+$/;
export const notBlank = (s: string) => s.trim().length > 0;

/** All invalid fields at once, each named by its dotted path. */
export function configIssues(error: z.ZodError): FieldError[] {
  return error.issues.flatMap((i) => {
    const base = i.path.map(String);
    if (i.code === 'unrecognized_keys') {
      return i.keys.map((k) => ({
        field: [...base, k].join('.'),
        message: `unknown field ${k}: not allowed here`,
      }));
    }
    return [{ field: base.join('.') || '(root)', message: i.message }];
  });
}
