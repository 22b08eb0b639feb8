import { randomBytes } from "node:crypto";
import { request as httpRequest, type RequestOptions } from "node:http";
import type { Socket } from "node:net";
import { decodeOutput, filesFromTar } from "../output";
import { writeTar } from "../tar";
import {
  fileBytes,
  MAX_RETURNED_FILES_BYTES,
  SandboxUnavailableError,
  type SandboxJob,
  type SandboxLanguage,
  type SandboxOutcome,
  type SandboxOutput,
  type SandboxProvider,
} from "../types";
import { env } from "@/server/env";

/**
 * Docker, through the Engine HTTP API on its socket (DOCKER_HOST, default
 * unix:///var/run/docker.sock; tcp://host:port for a plain-HTTP engine). One container per
 * execution: no network, read-only root, tmpfs workspace, user nobody, all capabilities dropped,
 * no-new-privileges, memory (+swap) and PID limits, CPU/file-size/open-file ulimits, killed at
 * the wall clock and removed. Images are not pulled: WFLO_SANDBOX_DOCKER_IMAGE_<LANGUAGE> must
 * name an image already present. Untested here (no Docker engine on the build machine).
 */

const IMAGES: Record<SandboxLanguage, string> = {
  python: "python:3.12-slim",
  node: "node:20-slim",
  bash: "debian:bookworm-slim",
};
const IMAGE_OVERRIDES = {
  python: () => env.WFLO_SANDBOX_DOCKER_IMAGE_PYTHON,
  node: () => env.WFLO_SANDBOX_DOCKER_IMAGE_NODE,
  bash: () => env.WFLO_SANDBOX_DOCKER_IMAGE_BASH,
} satisfies Record<SandboxLanguage, () => string | undefined>;
const image = (l: SandboxLanguage) => IMAGE_OVERRIDES[l]() ?? IMAGES[l];
const hostLabel = () => env.DOCKER_HOST;

function target(): Pick<RequestOptions, "socketPath" | "host" | "port"> {
  const h = hostLabel();
  if (h.startsWith("unix://")) return { socketPath: h.slice("unix://".length) };
  const u = new URL(h.replace(/^tcp:\/\//, "http://"));
  return { host: u.hostname, port: Number(u.port || 2375) };
}

function api(
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 10_000,
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = httpRequest(
      {
        ...target(),
        method,
        path,
        timeout: timeoutMs,
        headers: data ? { "content-type": "application/json", "content-length": data.length } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`Docker API ${method} ${path} timed out`)));
    req.on("error", reject);
    req.end(data);
  });
}

/** The attach stream (stdin in, multiplexed stdout/stderr out) on a hijacked connection. */
function attach(id: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      ...target(),
      method: "POST",
      path: `/containers/${id}/attach?stream=1&stdin=1&stdout=1&stderr=1`,
      headers: { Connection: "Upgrade", Upgrade: "tcp" },
    });
    req.on("upgrade", (_res, socket: Socket, head: Buffer) => {
      if (head.length) socket.unshift(head);
      resolve(socket);
    });
    req.on("response", (res) => reject(new Error(`Docker attach answered ${res.statusCode}`)));
    req.on("error", reject);
    req.end();
  });
}

const INTERPRETER: Record<SandboxLanguage, string[]> = {
  python: ["python3", "-c"],
  node: ["node", "-e"],
  bash: ["bash", "-c"],
};

/** Like bubblewrap's wrapper, but over stdin/stdout: line 1 of stdin is the base64 workspace tar; after the code, a marker line, then status, times and the workspace tar (base64). */
const WRAPPER = `
IFS= read -r tarline
printf '%s' "$tarline" | base64 -d | tar -x -o -f - -C /workspace || { echo "wflo: could not unpack the workspace" >&2; exit 125; }
marker="$1"; shift
"$@"
status=$?
printf '\\n%s\\n' "$marker"
printf 'wflo-status %s\\n' "$status"
times
printf 'wflo-tar\\n'
tar -c -f - -C /workspace . 2>/dev/null | base64 -w0
`;

export const dockerProvider: SandboxProvider = {
  name: "docker",
  isolation:
    "a container per execution: no network, read-only root, tmpfs workspace, nobody, no capabilities, memory/PID/CPU limits",
  languages: ["python", "node", "bash"],
  async ensureAvailable() {
    try {
      const ping = await api("GET", "/_ping", undefined, 3_000);
      if (ping.status !== 200) throw new Error(`/_ping answered ${ping.status}`);
    } catch (e) {
      throw new SandboxUnavailableError(
        "docker",
        `no Docker engine answered at ${hostLabel()} (${e instanceof Error ? e.message : String(e)}); set DOCKER_HOST or start Docker`,
      );
    }
  },
  async run(job: SandboxJob): Promise<SandboxOutput> {
    const { limits } = job;
    const started = performance.now();
    const marker = `wflo-end-${randomBytes(12).toString("hex")}`;
    const memory = limits.memoryMb * 1024 * 1024;
    const created = await api("POST", "/containers/create", {
      Image: image(job.language),
      Cmd: ["/bin/sh", "-c", WRAPPER, "wflo-sandbox", marker, ...INTERPRETER[job.language], job.code],
      User: "65534:65534",
      WorkingDir: "/workspace",
      Env: ["HOME=/workspace", "TMPDIR=/tmp", "LANG=C.UTF-8", "PYTHONDONTWRITEBYTECODE=1"],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      OpenStdin: true,
      StdinOnce: true,
      Tty: false,
      NetworkDisabled: true,
      HostConfig: {
        NetworkMode: "none",
        Memory: memory,
        MemorySwap: memory,
        PidsLimit: 64,
        ReadonlyRootfs: true,
        Tmpfs: { "/workspace": "rw,size=64m,uid=65534,gid=65534,mode=0700", "/tmp": "rw,size=16m,mode=1777" },
        CapDrop: ["ALL"],
        SecurityOpt: ["no-new-privileges"],
        Ulimits: [
          { Name: "cpu", Soft: limits.cpuSeconds, Hard: limits.cpuSeconds + 1 },
          { Name: "fsize", Soft: 64 * 1024 * 1024, Hard: 64 * 1024 * 1024 },
          { Name: "nofile", Soft: 256, Hard: 256 },
        ],
      },
    });
    if (created.status === 404)
      throw new SandboxUnavailableError(
        "docker",
        `image ${image(job.language)} is not present on the engine (wflo does not pull; run docker pull ${image(job.language)} or set WFLO_SANDBOX_DOCKER_IMAGE_${job.language.toUpperCase()})`,
      );
    if (created.status !== 201)
      throw new Error(
        `Docker could not create the container (${created.status}): ${created.body.toString("utf8").slice(0, 300)}`,
      );
    const id = (JSON.parse(created.body.toString("utf8")) as { Id: string }).Id;
    try {
      const socket = await attach(id);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let outBytes = 0;
      let errBytes = 0;
      const cap = limits.maxOutputBytes + MAX_RETURNED_FILES_BYTES * 2 + 4096;
      let outputExceeded = false;
      let pending = Buffer.alloc(0);
      const done = new Promise<void>((r) => socket.on("close", () => r()));
      socket.on("error", () => undefined);
      socket.on("data", (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 8) {
          const size = pending.readUInt32BE(4);
          if (pending.length < 8 + size) break;
          const frame = pending.subarray(8, 8 + size);
          if (pending[0] === 2) {
            errBytes += frame.length;
            if (errBytes <= limits.maxOutputBytes) err.push(frame);
          } else {
            outBytes += frame.length;
            if (outBytes <= cap) out.push(frame);
          }
          pending = pending.subarray(8 + size);
        }
        if ((outBytes > cap || errBytes > limits.maxOutputBytes) && !outputExceeded) {
          outputExceeded = true;
          void api("POST", `/containers/${id}/kill`).catch(() => undefined);
        }
      });
      const start = await api("POST", `/containers/${id}/start`);
      if (start.status !== 204 && start.status !== 304)
        throw new Error(`Docker could not start the container (${start.status})`);
      const input = writeTar(job.files.map((f) => ({ path: f.path, data: fileBytes(f) })));
      socket.write(`${input.toString("base64")}\n`);
      socket.end(job.stdin);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        void api("POST", `/containers/${id}/kill`).catch(() => undefined);
      }, limits.timeoutMs);
      const waited = await api("POST", `/containers/${id}/wait`, undefined, limits.timeoutMs + 30_000);
      clearTimeout(timer);
      await Promise.race([done, new Promise((r) => setTimeout(r, 1_000))]);
      const inspect = await api("GET", `/containers/${id}/json`);
      const oomKilled = Boolean(
        (JSON.parse(inspect.body.toString("utf8")) as { State?: { OOMKilled?: boolean } }).State?.OOMKilled,
      );
      const containerStatus =
        (JSON.parse(waited.body.toString("utf8") || "{}") as { StatusCode?: number }).StatusCode ?? null;

      const all = Buffer.concat(out);
      const at = all.lastIndexOf(`\n${marker}\n`);
      const userOut = at === -1 ? all : all.subarray(0, at);
      const tail = at === -1 ? "" : all.subarray(at + marker.length + 2).toString("utf8");
      const status = /wflo-status (\d+)/.exec(tail);
      const code = status ? Number(status[1]) : containerStatus;
      const tarB64 = tail.split("wflo-tar\n")[1]?.trim() ?? "";
      const stdout = decodeOutput(userOut.subarray(0, limits.maxOutputBytes));
      const stderr = decodeOutput(Buffer.concat(err));
      const signal = code !== null && code > 128 && code < 193 ? code - 128 : null;
      let outcome: SandboxOutcome;
      if (timedOut) outcome = "timeout";
      else if (outputExceeded || userOut.length > limits.maxOutputBytes) outcome = "output_limit";
      else if (oomKilled) outcome = "memory_limit";
      else if (signal === 24) outcome = "cpu_limit";
      else if (code === 0) outcome = "ok";
      else if (/MemoryError|heap out of memory|Cannot allocate memory/.test(stderr.text)) outcome = "memory_limit";
      else if (signal !== null || code === null) outcome = "killed";
      else outcome = "error";
      const files = tarB64
        ? filesFromTar(Buffer.from(tarB64, "base64"), job.files, false)
        : { files: [], truncated: false };
      return {
        outcome,
        exitCode: signal === null ? code : null,
        signal: signal !== null ? `SIG${signal}` : timedOut ? "SIGKILL" : null,
        stdout: stdout.text,
        stderr: stderr.text,
        stdoutTruncated: userOut.length > limits.maxOutputBytes,
        stderrTruncated: errBytes > limits.maxOutputBytes,
        binaryOutput: stdout.binary || stderr.binary,
        files: files.files,
        filesTruncated: files.truncated,
        usage: { wallMs: Math.round(performance.now() - started), userCpuMs: null, systemCpuMs: null },
      };
    } finally {
      await api("DELETE", `/containers/${id}?force=1&v=1`).catch(() => undefined);
    }
  },
};
