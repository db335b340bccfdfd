// The naive baseline of the one-shot benchmark (bench/oneshot.ts): what `rcc post` does, written with only `ws`
// and `node:http` — the password grant (§1.3), the WebSocket with `tr_json2` (§2.1), the Login (§2.4), its
// Refresh (§2.5), one off-stream post with Ack (§2.8), its Ack, the Login Close and the close handshake (§2.13).
// Plain JavaScript, no tsx: its own start-up is what the ratio is measured against.
//
// `RCC_PASSWORD=… node bench/oneshot-minimal.mjs AUTH_URL WS_URL USER CLIENT_ID RIC`
// Exit 0 only when the Ack names our PostID and carries no NakCode; 1 on any refusal, error or timeout.
import http from "node:http";
import { hostname, networkInterfaces } from "node:os";
import { setTimeout } from "node:timers";
import { URLSearchParams } from "node:url";
import WebSocket from "ws";

const [authUrl, wsUrl, user, clientId, ric] = process.argv.slice(2);
const password = process.env.RCC_PASSWORD;
const POST_ID = 1;
const TIMEOUT_MS = 15_000;

function fail(message) {
  process.stderr.write(`oneshot-minimal: ${message}\n`);
  process.exit(1);
}

if (!authUrl || !wsUrl || !user || !clientId || !ric || password === undefined) {
  fail("usage: RCC_PASSWORD=… node bench/oneshot-minimal.mjs AUTH_URL WS_URL USER CLIENT_ID RIC");
}
setTimeout(() => fail(`no Ack within ${TIMEOUT_MS} ms`), TIMEOUT_MS).unref();

/** The Login Position the client sends by default: the first non-internal IPv4 address and the host name. */
function position() {
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (!entry.internal && entry.family === "IPv4") return `${entry.address}/${hostname()}`;
    }
  }
  return `127.0.0.1/${hostname()}`;
}

/** The password grant (§1.3); no `scope`, as the client sends none unless told to. */
function passwordGrant() {
  const body = new URLSearchParams({
    grant_type: "password",
    username: user,
    password,
    client_id: clientId,
    takeExclusiveSignOnControl: "true",
  }).toString();
  return new Promise((resolve, reject) => {
    const request = http.request(authUrl, {
      method: "POST",
      headers: {
        Accept: "application/json",
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Length": Buffer.byteLength(body),
      },
    });
    request.on("error", reject);
    request.on("response", (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => (text += chunk));
      response.on("end", () => {
        if (response.statusCode !== 200) {
          reject(new Error(`token request answered ${response.statusCode}: ${text}`));
          return;
        }
        const token = JSON.parse(text).access_token;
        if (typeof token !== "string" || token === "") reject(new Error("token answer without access_token"));
        else resolve(token);
      });
    });
    request.end(body);
  });
}

const token = await passwordGrant().catch((error) => fail(error.message));
const socket = new WebSocket(wsUrl, "tr_json2", { perMessageDeflate: false });
socket.on("error", (error) => fail(`WebSocket: ${error.message}`));
socket.on("unexpected-response", (_request, response) =>
  fail(`WebSocket upgrade refused: HTTP ${response.statusCode}`),
);
socket.on("open", () => {
  if (socket.protocol !== "tr_json2") fail(`server chose subprotocol "${socket.protocol}"`);
  socket.send(
    JSON.stringify({
      ID: 1,
      Domain: "Login",
      Key: {
        NameType: "AuthnToken",
        Elements: { ApplicationId: "256", Position: position(), AuthenticationToken: token },
      },
    }),
  );
});

let acked = false;
socket.on("message", (data) => {
  const parsed = JSON.parse(data.toString("utf8"));
  for (const message of Array.isArray(parsed) ? parsed : [parsed]) {
    if (message.Type === "Ping") {
      socket.send('{"Type":"Pong"}');
    } else if (message.Domain === "Login" && message.ID === 1 && !acked) {
      const state = message.State ?? {};
      if (message.Type !== "Refresh" || state.Stream !== "Open" || state.Data !== "Ok") {
        fail(`login refused: ${JSON.stringify(message)}`);
      }
      socket.send(
        JSON.stringify([
          {
            Type: "Post",
            ID: 1,
            Ack: true,
            PostID: POST_ID,
            Key: { Service: "DDS_TRCE", Name: ric },
            Message: { Type: "Update", ID: 0, Fields: { BID: 1 } },
          },
        ]),
      );
    } else if (message.Type === "Ack") {
      if (message.AckID !== POST_ID) fail(`Ack for PostID ${message.AckID}, not ${POST_ID}`);
      if (message.NakCode !== undefined) fail(`Nak ${message.NakCode}: ${message.Text ?? ""}`);
      acked = true;
      process.stdout.write(`${ric} acked\n`);
      socket.send('{"ID":1,"Type":"Close","Domain":"Login"}');
      socket.close(1000, "done");
    } else if (message.Type === "Error") {
      fail(`server Error: ${message.Text ?? JSON.stringify(message)}`);
    }
  }
});
socket.on("close", () => {
  if (!acked) fail("connection closed before the Ack");
  process.exitCode = 0;
});
