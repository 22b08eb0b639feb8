import { z } from "zod";
import { usdToNano } from "@/server/governance/money";

/** USD per million tokens as a number or decimal string -> exact nano-dollars per Mtok. */
export function usdPerMtok(field: string) {
  return z
    .union([
      z.number({ error: `${field} must be a number of US dollars` }),
      z.string({ error: `${field} must be a number of US dollars` }),
    ])
    .transform((v, ctx) => {
      try {
        return usdToNano(v, field);
      } catch (e) {
        ctx.addIssue({ code: "custom", message: (e as Error).message.replace(`${field}: `, `${field} `) });
        return z.NEVER;
      }
    });
}

const providerSchema = z
  .string({ error: "provider is required" })
  .trim()
  .toLowerCase()
  .min(1, "provider must not be blank")
  .max(64, "provider must be at most 64 characters")
  .regex(/^[a-z0-9][a-z0-9._-]*$/, "provider must be a slug like openai, anthropic or my-gateway");

const modelSchema = z
  .string({ error: "model is required" })
  .trim()
  .toLowerCase()
  .min(1, "model must not be blank")
  .max(200, "model must be at most 200 characters");

export const SUPPORTED_CURRENCIES = ["USD"] as const;

export const setModelPriceInput = z.object({
  provider: providerSchema,
  model: modelSchema,
  currency: z
    .enum(SUPPORTED_CURRENCIES, { error: "currency must be USD (the catalogue and every budget are in US dollars)" })
    .default("USD"),
  inputPerMtokUsd: usdPerMtok("inputPerMtokUsd"),
  outputPerMtokUsd: usdPerMtok("outputPerMtokUsd"),
  cachedInputPerMtokUsd: usdPerMtok("cachedInputPerMtokUsd").optional(),
  cacheWritePerMtokUsd: usdPerMtok("cacheWritePerMtokUsd").optional(),
  reasoningPerMtokUsd: usdPerMtok("reasoningPerMtokUsd").optional(),
  perRequestUsd: usdPerMtok("perRequestUsd").optional(),
  /** Default: now. A future date schedules a price change; a past one is refused (old calls keep their price). */
  effectiveFrom: z.coerce.date({ error: "effectiveFrom must be a date" }).optional(),
  note: z.string().trim().max(500, "note must be at most 500 characters").default(""),
});
export type SetModelPriceInput = z.input<typeof setModelPriceInput>;

export const modelKeyInput = z.object({ provider: providerSchema, model: modelSchema });

export const setAllowUnpricedInput = z.object({ allow: z.boolean({ error: "allow must be true or false" }) });
