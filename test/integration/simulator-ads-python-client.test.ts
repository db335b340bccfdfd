/**
 * A tiny Python client on websocket-client (the library of LSEG's Python examples) against the ADS profile:
 * the flow of `market_price_posting.py` (§4A.5, §4A.6) through a real third-party WebSocket stack. Runs only
 * where a python3 with the `websocket` module exists (Debian: `apt-get install -y python3-websocket`); the
 * raw replay in simulator-ads-posting-example.test.ts covers the same flow everywhere.
 */
import { execFileSync, spawn } from "node:child_process";
import { describe, expect, it, vi } from "vitest";
import { useSimulators } from "../helpers/raw-client.js";

const simulator = useSimulators();

/** The first python3 that can import websocket-client, if any. */
function findPython(): string | undefined {
  for (const candidate of ["/usr/bin/python3", "python3"]) {
    try {
      execFileSync(candidate, ["-c", "import websocket"], { stdio: "ignore", timeout: 10_000 });
      return candidate;
    } catch {
      // not this one
    }
  }
  return undefined;
}

const python = findPython();

/** Logs in by user name, opens the RIC, posts on its stream once it is Open/Ok, prints every message received. */
const CLIENT = String.raw`
import json, sys, websocket
url, user, ric = sys.argv[1:4]
ws = websocket.create_connection(url, subprotocols=["tr_json2"], timeout=5)
received = []
def pump(done):
    while not done():
        frame = json.loads(ws.recv())
        assert isinstance(frame, list), frame
        for message in frame:
            received.append(message)
            if message["Type"] == "Ping":
                ws.send(json.dumps({"Type": "Pong"}))
            if message["Type"] == "Refresh" and message.get("Domain") == "Login":
                ws.send(json.dumps({"ID": 2, "Key": {"Name": ric}}))
def has(test):
    return lambda: any(test(m) for m in received)
ws.send(json.dumps({"ID": 1, "Domain": "Login", "Key": {"Name": user, "Elements": {"ApplicationId": "256", "Position": "127.0.0.1"}}}))
pump(has(lambda m: m.get("ID") == 2 and m.get("State", {}).get("Stream") == "Open" and m["State"]["Data"] == "Ok"))
ws.send(json.dumps({"ID": 2, "Type": "Post", "Domain": "MarketPrice", "Ack": True, "PostID": 1,
    "PostUserInfo": {"Address": "127.0.0.1", "UserID": 4242},
    "Message": {"ID": 0, "Type": "Update", "Domain": "MarketPrice", "Fields": {"BID": 45.55, "ASK": 45.57}}}))
pump(has(lambda m: m["Type"] == "Update"))
pump(has(lambda m: m["Type"] == "Ping"))
ws.send(json.dumps([{"ID": 2, "Type": "Close"}, {"ID": 1, "Type": "Close", "Domain": "Login"}]))
ws.close()
print(json.dumps(received))
`;

function runPython(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(python!, ["-c", CLIENT, ...args], { stdio: "pipe" });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

// Outside CI a missing python3-websocket skips this file; in CI (.ci/run installs the package) it must run.
describe.skipIf(python === undefined && process.env.CI === undefined)(
  "a Python websocket-client consumer against the ADS profile",
  () => {
    it("§4A.5/§4A.6: logs in by user name, gets the item Refresh, posts on-stream, and sees its Ack and Update", async () => {
      if (python === undefined)
        throw new Error("python3 with the websocket module is missing: apt-get install -y python3-websocket");
      const sim = await simulator({ profile: "ads", rics: ["TRI.N"], pingIntervalMs: 200 });
      const result = await runPython([sim.wsUrls[0]!, sim.accounts[0]!.user, "TRI.N"]);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      const received = JSON.parse(result.stdout) as Record<string, any>[];
      expect(received.find((message) => message.Domain === "Login")).toMatchObject({ Type: "Refresh" });
      expect(received).toContainEqual({ Type: "Ack", ID: 2, AckID: 1, Text: "All is well" });
      expect(received.find((message) => message.Type === "Update")).toMatchObject({
        ID: 2,
        PostUserInfo: { Address: "127.0.0.1", UserID: 4242 },
        Fields: { BID: 45.55, ASK: 45.57 },
      });
      await vi.waitFor(() => expect(sim.state.counters.pongsReceived).toBeGreaterThanOrEqual(1));
      expect(sim.state.rics.get("TRI.N")?.fields).toEqual({ BID: 45.55, ASK: 45.57 });
    });
  },
);
