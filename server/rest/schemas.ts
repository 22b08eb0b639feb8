import { z } from "zod";

/** Shapes shared by several REST routes. */

export const idParams = (what: string) =>
  z.object({
    id: z
      .string({ error: `id must be ${what}` })
      .trim()
      .min(1, `id must be ${what}`)
      .max(200, "id must be at most 200 characters"),
  });
export const uuidParams = (what: string) => z.object({ id: z.uuid(`id must be ${what} (a UUID)`) });

/** A whole number from a query string ("25"). */
export const queryInt = (field: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${field} must be a number` })
    .int(`${field} must be a whole number`)
    .min(min, `${field} must be at least ${min}`)
    .max(max, `${field} must be at most ${max}`);

/** A flag from a query string: exactly "true" or "false". */
export const queryBool = (field: string) =>
  z.enum(["true", "false"], { error: `${field} must be true or false` }).transform((s) => s === "true");

/** An ISO 8601 time from a query string. */
export const queryDate = (field: string) =>
  z.iso
    .datetime({ offset: true, error: `${field} must be an ISO 8601 date-time, e.g. 2026-01-31T00:00:00Z` })
    .transform((s) => new Date(s));

/** Nano-dollars as a decimal string in JSON (exact beyond 2^53); a whole number is taken too. */
export const nanoString = (field: string) =>
  z.union(
    [
      z.string().regex(/^\d+$/, `${field} must be a whole number of nano-dollars`),
      z.number().int(`${field} must be a whole number of nano-dollars`).min(0, `${field} must not be negative`),
    ],
    {
      error: `${field} must be a whole number of nano-dollars (as a string or integer)`,
    },
  );

export const errorSchema = z.object({
  error: z.string().describe("What went wrong, naming the field or the id"),
  code: z
    .string()
    .describe(
      "Stable code: UNAUTHORIZED, FORBIDDEN, BAD_REQUEST, NOT_FOUND, CONFLICT, PRECONDITION_FAILED, BUDGET_EXCEEDED, UNPRICED_MODEL, INTERNAL_SERVER_ERROR",
    ),
  field: z.string().optional().describe("The input field at fault, when there is one"),
  details: z.record(z.string(), z.unknown()).optional(),
});
