import { index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { userRole } from "./auth";

/**
 * Keys for machines (ChatOps bots, scripts). Only the SHA-256 of the secret is stored; the
 * secret is shown once. A key acts with its own role, never more than its creator could grant.
 */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    /** The first characters of the secret, to recognise a key in lists and logs. */
    prefix: text("prefix").notNull(),
    hash: text("hash").notNull().unique(),
    role: userRole("role").notNull(),
    /**
     * The workflows this key may act on (registry ids), or null for every workflow. A scoped key
     * sees only runs, approvals and LLM calls of these workflows (server/apikeys/scope.ts).
     */
    workflowIds: text("workflow_ids").array(),
    createdById: uuid("created_by_id"),
    createdByEmail: text("created_by_email").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [index("api_keys_created_idx").on(t.createdAt)],
);
export type ApiKeyRow = typeof apiKeys.$inferSelect;
