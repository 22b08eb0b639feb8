/**
 * Just enough tar to move files into and out of a sandbox as a byte stream (no shared host
 * directory: the workspace is a tmpfs that exists only inside the sandbox). Writes ustar with
 * GNU long names; reads ustar/GNU/pax as GNU tar emits them, regular files only (symlinks and
 * devices a sandbox made are reported by name, never followed).
 */

const BLOCK = 512;

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, "0")}\0`;
}

function header(name: Buffer, size: number, type: string, mode: number): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  name.copy(h, 0, 0, Math.min(name.length, 100));
  h.write(octal(mode, 8), 100, "ascii");
  h.write(octal(0, 8), 108, "ascii");
  h.write(octal(0, 8), 116, "ascii");
  h.write(octal(size, 12), 124, "ascii");
  h.write(octal(0, 12), 136, "ascii");
  h.write("        ", 148, "ascii");
  h.write(type, 156, "ascii");
  h.write("ustar  \0", 257, "ascii");
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${octal(sum, 7)} `, 148, "ascii");
  return h;
}

const pad = (n: number) => Buffer.alloc((BLOCK - (n % BLOCK)) % BLOCK, 0);

/** A tar of `files` (paths relative, already validated); parent directories are created by tar -x. */
export function writeTar(files: { path: string; data: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  const dirs = new Set<string>();
  for (const f of files) {
    const segs = f.path.split("/");
    for (let i = 1; i < segs.length; i++) dirs.add(`${segs.slice(0, i).join("/")}/`);
  }
  const entry = (path: string, data: Buffer, type: string, mode: number) => {
    const name = Buffer.from(path, "utf8");
    if (name.length > 99) {
      parts.push(
        header(Buffer.from("././@LongLink"), name.length + 1, "L", 0o644),
        name,
        Buffer.alloc(1),
        pad(name.length + 1),
      );
    }
    parts.push(header(name, data.length, type, mode), data, pad(data.length));
  };
  for (const d of [...dirs].sort()) entry(d, Buffer.alloc(0), "5", 0o755);
  for (const f of files) entry(f.path, f.data, "0", 0o644);
  parts.push(Buffer.alloc(BLOCK * 2, 0));
  return Buffer.concat(parts);
}

export type TarEntry = { name: Buffer; type: "file" | "dir" | "symlink" | "other"; size: number; data: Buffer | null };

function cstr(b: Buffer): Buffer {
  const end = b.indexOf(0);
  return end === -1 ? b : b.subarray(0, end);
}

function parseSize(field: Buffer): number {
  // GNU base-256 for huge sizes: high bit set.
  if (field[0]! & 0x80) {
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return n;
  }
  return parseInt(cstr(field).toString("ascii").trim() || "0", 8);
}

/**
 * Entries of a (possibly cut-off) tar. `keepData(size)` decides per file whether its bytes are
 * kept; a truncated archive ends the list early instead of throwing.
 */
export function readTar(buf: Buffer, keepData: (size: number) => boolean): { entries: TarEntry[]; complete: boolean } {
  const entries: TarEntry[] = [];
  let off = 0;
  let longName: Buffer | null = null;
  while (off + BLOCK <= buf.length) {
    const h = buf.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) return { entries, complete: true };
    const size = parseSize(h.subarray(124, 136));
    const type = String.fromCharCode(h[156] || 48);
    const dataStart = off + BLOCK;
    const dataEnd = dataStart + size;
    const next = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (type === "L") {
      if (dataEnd > buf.length) break;
      longName = cstr(buf.subarray(dataStart, dataEnd));
      off = next;
      continue;
    }
    if (type === "x" || type === "g") {
      off = next;
      continue;
    }
    const prefix = cstr(h.subarray(345, 500));
    const plain = cstr(h.subarray(0, 100));
    const name =
      longName ??
      (prefix.length && h.subarray(257, 263).toString("ascii") === "ustar\0"
        ? Buffer.concat([prefix, Buffer.from("/"), plain])
        : plain);
    longName = null;
    const kind: TarEntry["type"] =
      type === "0" || type === "7" ? "file" : type === "5" ? "dir" : type === "2" ? "symlink" : "other";
    const complete = dataEnd <= buf.length;
    const data = kind === "file" && complete && keepData(size) ? Buffer.from(buf.subarray(dataStart, dataEnd)) : null;
    entries.push({ name, type: kind, size, data });
    if (!complete) return { entries, complete: false };
    off = next;
  }
  return { entries, complete: false };
}
