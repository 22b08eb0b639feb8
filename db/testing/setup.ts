// Tests that pass their own user never read a session; nothing here may start servers.
process.env.NEXTAUTH_SECRET ??= "test-secret-not-for-production";
// Tests provoke failures on purpose; their error logs would bury the test report.
process.env.WFLO_LOG_LEVEL ??= "silent";
