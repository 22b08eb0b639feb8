// Tests that pass their own user never read a session; nothing here may start servers.
process.env.NEXTAUTH_SECRET ??= "test-secret-not-for-production";
