import { fileBytes, MAX_RETURNED_FILES_BYTES, type SandboxFileInput, type SandboxOutputFile } from "./types";
import { readTar } from "./tar";

/** Turning what a sandbox produced into JSON-safe, capped results. */

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const lossyUtf8 = new TextDecoder("utf-8");

/** Text as UTF-8 when it is; otherwise shown with U+FFFD and flagged (binary output must not crash anything). */
export function decodeOutput(b: Buffer): { text: string; binary: boolean } {
  try {
    // NUL is valid UTF-8 but Postgres text refuses it; it marks binary output too.
    const text = strictUtf8.decode(b);
    if (text.includes("\0")) return { text: text.replaceAll("\0", "\uFFFD"), binary: true };
    return { text, binary: false };
  } catch {
    return { text: lossyUtf8.decode(b).replaceAll("\0", "\uFFFD"), binary: true };
  }
}

function fileContent(data: Buffer): { content: string; encoding: "utf8" | "base64" } {
  const { text, binary } = decodeOutput(data);
  return binary ? { content: data.toString("base64"), encoding: "base64" } : { content: text, encoding: "utf8" };
}

/**
 * Files the code wrote or changed, from a tar of the workspace. Inputs returned unchanged are
 * left out; names that are not UTF-8 keep their raw bytes in `nameBytesBase64`; contents stop
 * at `maxBytes` in total (a file that does not fit is listed with `truncated` and no content).
 */
export function filesFromTar(
  tar: Buffer,
  inputs: SandboxFileInput[],
  cutOff: boolean,
  maxBytes = MAX_RETURNED_FILES_BYTES,
): { files: SandboxOutputFile[]; truncated: boolean } {
  const inputBytes = new Map(inputs.map((f) => [f.path, fileBytes(f)]));
  let budget = maxBytes;
  const { entries, complete } = readTar(tar, (size) => {
    if (size > budget) return false;
    budget -= size;
    return true;
  });
  const files: SandboxOutputFile[] = [];
  let truncated = cutOff || !complete;
  for (const e of entries) {
    if (e.type !== "file") continue;
    const raw = e.name.toString("latin1").replace(/^\.\//, "");
    const nameBuf = Buffer.from(raw, "latin1");
    const { text: path, binary: badName } = decodeOutput(nameBuf);
    const before = inputBytes.get(path);
    if (before && e.data && before.equals(e.data)) continue;
    if (e.data) {
      files.push({
        path,
        ...(badName ? { nameBytesBase64: nameBuf.toString("base64") } : {}),
        size: e.size,
        ...fileContent(e.data),
        truncated: false,
      });
    } else {
      truncated = true;
      files.push({
        path,
        ...(badName ? { nameBytesBase64: nameBuf.toString("base64") } : {}),
        size: e.size,
        content: "",
        encoding: "utf8",
        truncated: true,
      });
    }
  }
  return { files, truncated };
}

/** Files already in hand (isolated-vm, E2B), held to the same total cap as tar-collected ones. */
export function capFiles(
  list: { path: string; data: Buffer }[],
  maxBytes = MAX_RETURNED_FILES_BYTES,
): { files: SandboxOutputFile[]; truncated: boolean } {
  let budget = maxBytes;
  let truncated = false;
  const files = list.map(({ path, data }): SandboxOutputFile => {
    if (data.length > budget) {
      truncated = true;
      return { path, size: data.length, content: "", encoding: "utf8", truncated: true };
    }
    budget -= data.length;
    return { path, size: data.length, ...fileContent(data), truncated: false };
  });
  return { files, truncated };
}
