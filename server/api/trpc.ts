/**
 * The one tRPC setup. Sections: context, initialization, procedures.
 * Only two kinds of procedure exist: `publicProcedure` (sign-in related) and
 * `requirePermission(...)`, checked against server/auth/permissions.ts.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ZodError } from "zod";
import type { Database } from "@/db/client";
import type { UserPrincipal } from "@/server/auth/principal";
import { can, type Permission } from "@/server/auth/permissions";
import { findBadText, badTextMessage } from "@/server/security/text-input";
import {
  DomainError,
  describeZodIssues,
  fieldErrorsOfIssues,
  transportOf,
  type FieldErrors,
  type FieldIssue,
} from "@/server/errors";

// ---------------------------------------------------------------- context

/** The signed-in person: the panel's principal (server/auth/principal.ts, the one "who is acting" type). */
export type SessionUser = UserPrincipal;

export type Context = { db: Database; user: SessionUser | null };

/** Pure context for tests and for server components: no request, no cookies. */
export function createInnerContext(opts: Context): Context {
  return { db: opts.db, user: opts.user };
}

// ---------------------------------------------------------- initialization

export type ProcedureMeta = {
  permission?: Permission;
  public?: true;
  /** Callable while the user must change their password: the change itself, and signing out. */
  duringPasswordChange?: true;
};

/** The message a client sees: validation issues as "field: rule", 5xx hidden, other 4xx as thrown. */
export function publicErrorMessage(error: TRPCError): string {
  if (error.cause instanceof ZodError) return describeZodIssues(error.cause).message;
  return error.code === "INTERNAL_SERVER_ERROR" ? "Internal server error" : error.message;
}

/**
 * The fields at fault, as data for forms (never to be parsed back out of the message): the first
 * field, per-field rules keyed by top-level field, and every issue by its full path.
 */
function fieldDataOf(error: TRPCError): { field: string | null; fieldErrors: FieldErrors; issues: FieldIssue[] } {
  const found =
    error.cause instanceof ZodError
      ? describeZodIssues(error.cause)
      : error.cause instanceof DomainError && error.code !== "INTERNAL_SERVER_ERROR"
        ? error.cause
        : null;
  if (!found) return { field: null, fieldErrors: {}, issues: [] };
  return { field: found.field ?? null, fieldErrors: fieldErrorsOfIssues(found.issues), issues: found.issues };
}

/** THE mapping of a service's DomainError to tRPC: its code by the shared table, its message, itself as cause (for the field). */
export function toTRPCError(err: DomainError): TRPCError {
  return new TRPCError({ code: transportOf(err.code).trpc, message: err.message, cause: err });
}

const t = initTRPC
  .context<Context>()
  .meta<ProcedureMeta>()
  .create({
    transformer: superjson,
    /** 4xx messages reach the client; 5xx messages and every cause stay on the server. */
    errorFormatter({ shape, error }) {
      return {
        ...shape,
        message: publicErrorMessage(error),
        data: {
          code: shape.data.code,
          httpStatus: shape.data.httpStatus,
          path: shape.data.path,
          ...fieldDataOf(error),
        },
      };
    },
  });

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

// -------------------------------------------------------------- procedures

/**
 * Every procedure's raw input, before its schema: a NUL byte or a lone surrogate anywhere
 * (values or keys) is a 400 naming the field, instead of a 500 from PostgreSQL deep in a service.
 */
const cleanText = t.middleware(async ({ getRawInput, next }) => {
  const bad = findBadText(await getRawInput());
  if (bad) throw new TRPCError({ code: "BAD_REQUEST", message: badTextMessage(bad) });
  return next();
});

/**
 * Outermost on every procedure: whatever a service throws as a DomainError reaches the caller as
 * its tRPC code, and an input that fails its schema carries "field: rule" as its message (for
 * server-side callers too, not only through the formatter).
 */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (result.ok) return result;
  const { cause, code } = result.error;
  if (cause instanceof DomainError && code === "INTERNAL_SERVER_ERROR") throw toTRPCError(cause);
  if (cause instanceof ZodError && code === "BAD_REQUEST")
    throw new TRPCError({ code, message: describeZodIssues(cause).message, cause });
  return result;
});

const base = t.procedure.use(domainErrors);

/** For sign-in related calls only; everything else names a permission. */
export const publicProcedure = base.meta({ public: true }).use(cleanText);

/** Shown for every other call while a generated or reset password is still in use. */
export const PASSWORD_CHANGE_REQUIRED =
  "change your password first: this account's password was generated or reset by an admin; choose your own at /change-password";

const authenticated = t.middleware(({ ctx, meta, next }) => {
  if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "sign in first" });
  if (ctx.user.mustChangePassword && !meta?.duringPasswordChange)
    throw new TRPCError({ code: "FORBIDDEN", message: PASSWORD_CHANGE_REQUIRED });
  return next({ ctx: { ...ctx, user: ctx.user } });
});

/** A procedure that runs only for a signed-in, active user whose role grants `permission`. */
export function requirePermission(permission: Permission) {
  return (
    base
      .meta({ permission })
      .use(authenticated)
      .use(({ ctx, next }) => {
        if (!can(ctx.user.role, permission)) {
          throw new TRPCError({
            code: "FORBIDDEN",
            message: `your role (${ctx.user.role}) lacks the permission ${permission}`,
          });
        }
        return next();
      })
      // After the permission, as REST does: nobody learns what an input should be without the right to send it.
      .use(cleanText)
  );
}
