import { sql } from "drizzle-orm";
import { boolean, index, integer, pgEnum, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/** Ordered from least to most privileged; see server/auth/permissions.ts. */
export const ROLES = ["viewer", "operator", "approver", "admin"] as const;
export type Role = (typeof ROLES)[number];

export const userRole = pgEnum("user_role", ROLES);

export const users = pgTable("users", {
  id: uuid("id").primaryKey().defaultRandom(),
  email: text("email").notNull().unique(),
  name: text("name").notNull().default(""),
  /** argon2id hash; null for users who only sign in through SSO. */
  passwordHash: text("password_hash"),
  role: userRole("role").notNull().default("viewer"),
  active: boolean("active").notNull().default(true),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  lastSignInAt: timestamp("last_sign_in_at", { withTimezone: true }),
  /**
   * Put into the session JWT at sign-in and compared on every request: a password change,
   * an admin reset, deactivation, sign-out and "sign out everywhere" bump it, so every
   * session cookie issued before stops working.
   */
  sessionVersion: integer("session_version").notNull().default(1),
  /** Set for generated passwords and admin resets: until the user picks their own, only the change-password page works. */
  mustChangePassword: boolean("must_change_password").notNull().default(false),
});

export type User = typeof users.$inferSelect;

/**
 * Failed sign-ins, one row each, keyed by "account:<email>" or "address:<ip>".
 * Rate limiting counts rows in a sliding window; old rows are pruned on write.
 */
export const signInFailures = pgTable(
  "sign_in_failures",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    key: text("key").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [index("sign_in_failures_key_at_idx").on(t.key, t.at)],
);
