import { badTextMessage, findBadText } from "@/server/security/text-input";
import { attributes, type ExportTraceRequest, type KeyValue } from "./decode";

/**
 * The first NUL byte or lone surrogate in a decoded OTLP request, as the 400 message naming
 * where it is: `resourceSpans[0].scopeSpans[0].spans[3].attributes["user.note"]: must not contain
 * a NUL byte`. Attributes are named by key (OTLP carries them as a list of key/value pairs, whose
 * index would mean nothing to the sender). Both encodings arrive here decoded: JSON may carry a
 * lone surrogate as an escape, protobuf a NUL in any string.
 */
export function otlpBadText(req: ExportTraceRequest): string | null {
  const check = (value: unknown, path: string) => {
    const bad = findBadText(value, path);
    return bad ? badTextMessage(bad) : null;
  };
  const attrs = (kvs: KeyValue[] | undefined, path: string) =>
    check(attributes(kvs), path) ??
    check(
      (kvs ?? []).map((kv) => kv.key),
      `${path}.keys`,
    );
  for (const [r, rs] of (req.resourceSpans ?? []).entries()) {
    const base = `resourceSpans[${r}]`;
    const inResource = attrs(rs.resource?.attributes, `${base}.resource.attributes`);
    if (inResource) return inResource;
    for (const [si, ss] of (rs.scopeSpans ?? []).entries()) {
      const scope = check(ss.scope, `${base}.scopeSpans[${si}].scope`);
      if (scope) return scope;
      for (const [i, span] of (ss.spans ?? []).entries()) {
        const at = `${base}.scopeSpans[${si}].spans[${i}]`;
        const problem =
          check(span.name, `${at}.name`) ??
          attrs(span.attributes, `${at}.attributes`) ??
          check(span.status?.message, `${at}.status.message`) ??
          (span.events ?? []).reduce<string | null>(
            (found, e, ei) =>
              found ??
              check(e.name, `${at}.events[${ei}].name`) ??
              attrs(e.attributes, `${at}.events[${ei}].attributes`),
            null,
          );
        if (problem) return problem;
      }
    }
  }
  return null;
}
