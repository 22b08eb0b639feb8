import { z } from "zod";
import { ROLES } from "@/db/schema";
import { passwordSchema } from "@/server/auth/password";

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, "email must be at most 254 characters")
  .pipe(z.email("email must be a valid address"));

export const roleSchema = z.enum(ROLES, { error: `role must be one of: ${ROLES.join(", ")}` });

export const createUserInput = z.object({
  email: emailSchema,
  name: z.string().trim().max(200, "name must be at most 200 characters").default(""),
  role: roleSchema,
  password: passwordSchema,
});

export const changeRoleInput = z.object({ userId: z.uuid("userId must be a UUID"), role: roleSchema });
export const setActiveInput = z.object({ userId: z.uuid("userId must be a UUID"), active: z.boolean() });
export const resetPasswordInput = z.object({ userId: z.uuid("userId must be a UUID"), password: passwordSchema });
