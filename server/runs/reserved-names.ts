/**
 * Event names only the servers themselves send. Inngest's namespace carries lifecycle events
 * (function finished, cancelled): forging them would forge run states. wflo's own names
 * (rollback requests, ...) are sent only by wflo's services, each after its audited row. No
 * imports on purpose: the run page uses the same rule to decide what it offers to send.
 */
export function reservedEventName(name: string): string | null {
  const n = name.trim().toLowerCase();
  if (n.startsWith("inngest/")) return 'name must not start with "inngest/" (reserved for the Inngest server)';
  if (n.startsWith("wflo/")) return 'name must not start with "wflo/" (reserved for wflo\'s own events)';
  return null;
}
