/**
 * Issue 14 benchmark (the service side of `compute`): executions per second of a trivial function over
 * HTTP (POST /invoke with a fresh UCAN each, signed ahead of time so the figure is the node's, not the
 * client's signing speed; the node in a child process, 8 requests in flight), next to
 * raw `WebAssembly.instantiate` + `run()` of the same module in-process, as a ratio. The HTTP figure pays
 * for the UCAN check, the replay guard, the function lookup, the metered run in a worker and the execution
 * record's write; the raw figure for none of it.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeCapability } from "../../core/capability.js";
import { formatSpaceId, spaceIdFor } from "../../core/resource.js";
import { signIn } from "../../node/client/client.js";
import { COUNT, wat } from "../helpers/compute-modules.js";
import { clientWallet } from "../helpers/http-answer.js";
import { fmt, measure, printTable } from "./harness.js";

const CONCURRENCY = 8;
const OPS = 800;

async function startChildNode(dataDir: string): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, ["bin/tinycloud.js", "node", "--port", "0", "--no-rollup", "--data", dataDir], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.once("exit", (code) => reject(new Error(`node exited with ${code}`)));
  });
  return { url, stop: () => child.kill("SIGKILL") };
}

export async function run(): Promise<void> {
  const module = wat(COUNT);
  const dataDir = await mkdtemp(join(tmpdir(), "tc-bench-compute-"));
  const node = await startChildNode(dataDir);
  try {
    const wallet = clientWallet(0xbe);
    const spaceId = formatSpaceId(spaceIdFor(wallet.did, "default"));
    const session = await signIn({ url: node.url, wallet, capabilities: [{ resource: `${spaceId}/compute`, abilities: ["tinycloud.compute/deploy", "tinycloud.compute/execute"] }] });
    await session.compute.deploy("count", module);

    const capability = makeCapability(session.resource("compute", "count"), "tinycloud.compute/execute");
    const tokens = Array.from({ length: OPS }, () => session.invocation([capability], 300, { notBefore: Math.floor(Date.now() / 1000) }));
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < tokens.length) {
          const authorization = tokens[next++] as string;
          const response = await fetch(`${node.url}/invoke`, { method: "POST", headers: { authorization, "content-type": "application/json" }, body: "{}" });
          if (response.status !== 200) throw new Error(`execute answered ${response.status}: ${await response.text()}`);
          await response.arrayBuffer();
        }
      }),
    );
    const http = OPS / ((performance.now() - started) / 1000);

    const compiled = await WebAssembly.compile(module as Uint8Array<ArrayBuffer>);
    const raw = await measure("raw instantiate + run", async () => {
      let memory: WebAssembly.Memory | undefined;
      const instance = await WebAssembly.instantiate(compiled, {
        tc: {
          input_count: () => 0,
          input_len: () => -1,
          input_read: () => -1,
          output_write: (ptr: number, len: number) => {
            new Uint8Array((memory as WebAssembly.Memory).buffer).slice(ptr, ptr + len);
            return len;
          },
        },
      });
      memory = instance.exports["memory"] as WebAssembly.Memory;
      (instance.exports["run"] as () => number)();
    });
    printTable("compute over HTTP (issue 14): a trivial function", [
      ["measure", "executions/s", "vs raw"],
      [`HTTP execute, ${CONCURRENCY} in flight`, fmt(http), `${fmt(http / raw.opsPerSecond, 4)}×`],
      ["raw WebAssembly.instantiate + run (in-process)", fmt(raw.opsPerSecond), "1×"],
    ]);
  } finally {
    node.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
