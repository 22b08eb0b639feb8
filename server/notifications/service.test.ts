import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { users } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { appRouter } from "@/server/api/root";
import { createInnerContext, type SessionUser } from "@/server/api/trpc";
import { insertNotification } from "./service";

/**
 * Issue 13, finding 10: `governance.notifications.markRead` set one global read flag, so any
 * viewer's "mark all read" hid every alert (a budget exceeded, a breaker tripped) from every
 * admin. Read state is per user: marking affects only the caller.
 */

let fresh: FreshDb;
let admin: SessionUser;
let viewer: SessionUser;

beforeAll(async () => {
  fresh = await freshDatabase();
  const [a, v] = await fresh.db
    .insert(users)
    .values([
      { email: "admin@example.com", name: "Admin", role: "admin", passwordHash: "x" },
      { email: "viewer@example.com", name: "Viewer", role: "viewer", passwordHash: "x" },
    ])
    .returning();
  admin = { id: a!.id, email: a!.email, name: a!.name, role: "admin" };
  viewer = { id: v!.id, email: v!.email, name: v!.name, role: "viewer" };
});
afterAll(async () => fresh?.drop());

const as = (u: SessionUser) => appRouter.createCaller(createInnerContext({ db: fresh.db, user: u }));
const notify = (n: number, severity: "critical" | "warning" = "critical") =>
  insertNotification(fresh.db, {
    kind: "budget_exceeded",
    severity,
    title: `Budget exceeded ${n}`,
    message: "stopped",
    dedupeKey: `test:exceeded:${n}`,
  });

describe("notification read state is per user", () => {
  it("a viewer's mark-all-read marks only the viewer's; an admin still sees every alert unread", async () => {
    await notify(1);
    await notify(2, "warning");
    expect(await as(viewer).governance.notifications.markRead({})).toEqual({ marked: 2 });
    expect(await as(viewer).governance.notifications.unreadCount()).toEqual({ unread: 0, critical: 0 });
    expect((await as(viewer).governance.notifications.list({})).map((n) => n.read)).toEqual([true, true]);

    expect(await as(admin).governance.notifications.unreadCount()).toEqual({ unread: 2, critical: 1 });
    expect((await as(admin).governance.notifications.list({ unreadOnly: true })).map((n) => n.title)).toEqual([
      "Budget exceeded 2",
      "Budget exceeded 1",
    ]);
  });

  it("marking by id affects only the caller and those ids; marking twice counts once", async () => {
    const [second, first] = await as(admin).governance.notifications.list({});
    expect(await as(admin).governance.notifications.markRead({ ids: [first!.id] })).toEqual({ marked: 1 });
    expect(await as(admin).governance.notifications.markRead({ ids: [first!.id] })).toEqual({ marked: 0 });
    expect((await as(admin).governance.notifications.list({ unreadOnly: true })).map((n) => n.id)).toEqual([
      second!.id,
    ]);
    expect(await as(admin).governance.notifications.unreadCount()).toEqual({ unread: 1, critical: 0 });
  });

  it("a new notification is unread for everyone", async () => {
    await notify(3);
    expect((await as(viewer).governance.notifications.unreadCount()).unread).toBe(1);
    expect((await as(admin).governance.notifications.unreadCount()).unread).toBe(2);
  });
});
