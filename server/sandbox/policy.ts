import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "@/db/client";
import { sandboxPolicies, type SandboxPolicyRow } from "@/db/schema";
import { writeAudit, type Actor } from "@/server/audit/chain";
import { configuredProviderName } from "./providers";
import {
  SANDBOX_LANGUAGES,
  SANDBOX_PROVIDERS,
  SandboxPolicyError,
  type SandboxLanguage,
  type SandboxLimits,
  type SandboxProviderName,
  type SandboxRequest,
} from "./types";

/**
 * Per-workflow sandbox policy: which languages and providers, default and maximum limits, and
 * whether network may be granted. A workflow without a stored policy gets the defaults below
 * (every language, the configured provider, network off).
 */

export type SandboxPolicy = {
  workflowId: string;
  languages: SandboxLanguage[];
  providers: SandboxProviderName[];
  defaults: SandboxLimits;
  maximums: SandboxLimits;
  network: { allowed: boolean; hosts: string[] };
  /** False when these are wflo's defaults, not a stored policy. */
  stored: boolean;
};

export const DEFAULT_LIMITS: SandboxLimits = {
  timeoutMs: 10_000,
  memoryMb: 256,
  cpuSeconds: 5,
  maxOutputBytes: 1024 * 1024,
};
export const DEFAULT_MAXIMUMS: SandboxLimits = {
  timeoutMs: 120_000,
  memoryMb: 1024,
  cpuSeconds: 60,
  maxOutputBytes: 16 * 1024 * 1024,
};
const LIMIT_KEYS = ["timeoutMs", "memoryMb", "cpuSeconds", "maxOutputBytes"] as const;

export function defaultPolicy(workflowId: string): SandboxPolicy {
  return {
    workflowId,
    languages: [...SANDBOX_LANGUAGES],
    providers: [configuredProviderName()],
    defaults: { ...DEFAULT_LIMITS },
    maximums: { ...DEFAULT_MAXIMUMS },
    network: { allowed: false, hosts: [] },
    stored: false,
  };
}

function fromRow(row: SandboxPolicyRow): SandboxPolicy {
  return {
    workflowId: row.workflowId,
    languages: row.languages.filter((l): l is SandboxLanguage => (SANDBOX_LANGUAGES as readonly string[]).includes(l)),
    providers: row.providers.filter((p): p is SandboxProviderName =>
      (SANDBOX_PROVIDERS as readonly string[]).includes(p),
    ),
    defaults: { ...DEFAULT_LIMITS, ...row.defaults },
    maximums: { ...DEFAULT_MAXIMUMS, ...row.maximums },
    network: { allowed: row.networkAllowed, hosts: row.networkHosts },
    stored: true,
  };
}

export async function getSandboxPolicy(db: Database, workflowId: string): Promise<SandboxPolicy> {
  const [row] = await db.select().from(sandboxPolicies).where(eq(sandboxPolicies.workflowId, workflowId));
  return row ? fromRow(row) : defaultPolicy(workflowId);
}

/** The limits and provider a request runs with, or a SandboxPolicyError naming the rule it breaks. */
export function applyPolicy(
  policy: SandboxPolicy,
  req: SandboxRequest,
): { provider: SandboxProviderName; limits: SandboxLimits } {
  const where = `workflow "${policy.workflowId}"`;
  if (!policy.languages.includes(req.language)) {
    throw new SandboxPolicyError(
      `language: ${req.language} is not allowed for ${where} (allowed: ${policy.languages.join(", ") || "none"})`,
    );
  }
  const provider = req.provider ?? configuredProviderName();
  if (!policy.providers.includes(provider)) {
    throw new SandboxPolicyError(
      `provider: ${provider} is not allowed for ${where} (allowed: ${policy.providers.join(", ") || "none"})`,
    );
  }
  const limits = { ...policy.defaults };
  for (const k of LIMIT_KEYS) {
    const asked = req[k];
    if (asked !== undefined && asked > policy.maximums[k])
      throw new SandboxPolicyError(`${k}: ${asked} is over the maximum of ${policy.maximums[k]} for ${where}`);
    limits[k] = Math.min(asked ?? policy.defaults[k], policy.maximums[k]);
  }
  if (req.network !== false) {
    if (!policy.network.allowed) throw new SandboxPolicyError(`network: network access is off for ${where}`);
    const outside = req.network.hosts.filter((h) => !policy.network.hosts.includes(h));
    if (outside.length) throw new SandboxPolicyError(`network: ${outside.join(", ")} not on the allowlist of ${where}`);
    // Even when the policy allows it, no provider can enforce a host allowlist yet (that needs an
    // egress proxy), and a grant needs an approval step: refuse rather than open all network.
    throw new SandboxPolicyError(
      `network: host allowlists are not enforceable by the sandbox providers yet and grants need an approval gate; code runs without network`,
    );
  }
  return { provider, limits };
}

const limitField = (name: string) =>
  z
    .number({ error: `${name} must be a number` })
    .int(`${name} must be a whole number`)
    .positive(`${name} must be positive`);
const limitsInput = (prefix: string) =>
  z.object({
    timeoutMs: limitField(`${prefix}.timeoutMs`).max(3_600_000, `${prefix}.timeoutMs must be at most 3600000`),
    memoryMb: limitField(`${prefix}.memoryMb`).max(65_536, `${prefix}.memoryMb must be at most 65536`),
    cpuSeconds: limitField(`${prefix}.cpuSeconds`).max(3_600, `${prefix}.cpuSeconds must be at most 3600`),
    maxOutputBytes: limitField(`${prefix}.maxOutputBytes`).max(
      64 * 1024 * 1024,
      `${prefix}.maxOutputBytes must be at most 67108864`,
    ),
  });

export const policyInput = z
  .object({
    workflowId: z
      .string({ error: "workflowId is required" })
      .trim()
      .min(1, "workflowId must not be blank")
      .max(200, "workflowId must be at most 200 characters"),
    languages: z
      .array(z.enum(SANDBOX_LANGUAGES, { error: `languages[] must be one of: ${SANDBOX_LANGUAGES.join(", ")}` }))
      .min(1, "languages must allow at least one language"),
    providers: z
      .array(z.enum(SANDBOX_PROVIDERS, { error: `providers[] must be one of: ${SANDBOX_PROVIDERS.join(", ")}` }))
      .min(1, "providers must allow at least one provider"),
    defaults: limitsInput("defaults"),
    maximums: limitsInput("maximums"),
    network: z.object({
      allowed: z.boolean({ error: "network.allowed must be true or false" }),
      hosts: z
        .array(
          z
            .string()
            .trim()
            .min(1, "network.hosts[] must not be blank")
            .max(253, "network.hosts[] must be at most 253 characters"),
        )
        .max(50, "network.hosts must hold at most 50 hosts"),
    }),
  })
  .superRefine((p, ctx) => {
    for (const k of LIMIT_KEYS) {
      if (p.defaults[k] > p.maximums[k])
        ctx.addIssue({ code: "custom", path: ["defaults", k], message: `defaults.${k} must not exceed maximums.${k}` });
    }
  });

/** Saves a workflow's sandbox policy; the router validates with `policyInput` first. */
export async function setSandboxPolicy(
  db: Database,
  actor: Actor,
  p: z.output<typeof policyInput>,
): Promise<SandboxPolicy> {
  return db.transaction(async (tx) => {
    const [before] = await tx
      .select()
      .from(sandboxPolicies)
      .where(eq(sandboxPolicies.workflowId, p.workflowId))
      .for("update");
    const values = {
      workflowId: p.workflowId,
      languages: p.languages,
      providers: p.providers,
      defaults: p.defaults,
      maximums: p.maximums,
      networkAllowed: p.network.allowed,
      networkHosts: p.network.hosts,
      updatedAt: new Date(),
      updatedByEmail: actor.email,
    };
    const [row] = await tx
      .insert(sandboxPolicies)
      .values(values)
      .onConflictDoUpdate({ target: sandboxPolicies.workflowId, set: values })
      .returning();
    await writeAudit(tx, actor, {
      action: "sandbox.policy_update",
      targetType: "workflow",
      targetId: p.workflowId,
      before: before ? fromRow(before) : undefined,
      after: fromRow(row!),
    });
    return fromRow(row!);
  });
}
