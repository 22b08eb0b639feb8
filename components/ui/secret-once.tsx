/**
 * A secret the server returns once (an API key, an event key): shown in the card that created it
 * with the one instruction that matters. Only its hash is stored, so it cannot be shown again.
 */
export function SecretOnce({
  what,
  name,
  secret,
  testId,
}: {
  what: string;
  name: string;
  secret: string;
  testId: string;
}) {
  return (
    <div
      role="status"
      className="border-b border-emerald-200 bg-emerald-50 px-5 py-3 text-sm dark:border-emerald-900 dark:bg-emerald-950/40"
    >
      <div className="font-medium text-emerald-800 dark:text-emerald-200">
        {what} “{name}” created. Copy it now: it is not shown again.
      </div>
      <code
        data-testid={testId}
        className="mt-2 block break-all rounded bg-white px-2 py-1 font-mono text-xs dark:bg-slate-950"
      >
        {secret}
      </code>
    </div>
  );
}
