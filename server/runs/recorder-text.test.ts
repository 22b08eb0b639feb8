import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runs, runSteps } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { ensureRun, finishRun, toRecordedError, upsertStep } from "./recorder";

/**
 * A step's output or error is whatever the workflow's code produced: a NUL byte (PostgreSQL's
 * jsonb refuses \u0000) or a lone surrogate in it must not make the recording fail, which would
 * fail the SDK request and leave the run unrecorded. Such characters are replaced (U+FFFD), not refused:
 * the run already happened, the record has to be written.
 */

let fresh: FreshDb;
beforeAll(async () => {
  fresh = await freshDatabase();
});
afterAll(async () => fresh?.drop());

describe("recording text a database cannot store", () => {
  it("records a step output and a run error holding NUL bytes and lone surrogates, with those characters replaced", async () => {
    await ensureRun(fresh.db, {
      runId: "run-nul",
      workflowId: "hello",
      event: { id: null, name: "app/hello", data: { q: "in\0put" } },
    });
    await upsertStep(
      fresh.db,
      "run-nul",
      { hashedId: "h1", stepId: "fetch", name: "fetch", kind: "step" },
      { status: "completed", attempt: 1, output: { body: "a\0b", list: ["x\uD800"] } },
    );
    await finishRun(fresh.db, "run-nul", { status: "failed", error: toRecordedError(new Error("bad\0 byte \uDC00")) });
    const [step] = await fresh.db.select().from(runSteps).where(eq(runSteps.runId, "run-nul"));
    expect(step!.output).toEqual({ body: "a\uFFFDb", list: ["x\uFFFD"] });
    const [run] = await fresh.db.select().from(runs).where(eq(runs.id, "run-nul"));
    expect(run!.input).toEqual({ q: "in\uFFFDput" });
    expect(run!.error).toMatchObject({ name: "Error", message: "bad\uFFFD byte \uFFFD" });
  });
});
