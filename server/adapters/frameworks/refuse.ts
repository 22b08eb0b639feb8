import { NonRetriableError } from "inngest";
import { UnsupportedTargetError } from "../framework";

/**
 * An adapter refusing what it was given, from inside the run (input of the wrong shape, a model
 * or feature it cannot govern): no retry can change that, so the run fails at once with this
 * message (the UnsupportedTargetError is its cause) instead of being retried.
 */
export function refuse(message: string): never {
  throw new NonRetriableError(message, { cause: new UnsupportedTargetError(message) });
}
