import { describe, expect, it } from "vitest";
import { systemFunctions } from "@/inngest/registry";

/** Periodic work runs as system cron runs on the engine (never inside a read): each is served and scheduled. */
describe("system cron workflows", () => {
  it.each(["expire-approvals", "dispatch-alerts", "expire-reservations", "prune-system-runs"])(
    "%s is served as a system function on a cron trigger",
    (name) => {
      const fn = systemFunctions.find((f) => f.id().endsWith(`system-${name}`));
      expect(fn, name).toBeDefined();
      expect(fn!.opts.triggers).toEqual([{ cron: "* * * * *" }]);
    },
  );
});
