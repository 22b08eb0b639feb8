import { integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * The approval policy, versioned as a whole: saving writes version n+1 and never edits an
 * older one, so a decision's recorded (version, rule) always points at the rules that made it.
 * The newest version is in force; with none saved, the built-in risk routing (version 0) is.
 */
export const policyVersions = pgTable("policy_versions", {
  version: integer("version").primaryKey(),
  /** PolicyRule[] (server/policies/schemas.ts), in evaluation order. */
  rules: jsonb("rules").$type<unknown[]>().notNull(),
  note: text("note").notNull().default(""),
  createdById: uuid("created_by_id"),
  createdByEmail: text("created_by_email").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});
export type PolicyVersionRow = typeof policyVersions.$inferSelect;
