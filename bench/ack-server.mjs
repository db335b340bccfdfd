// The wire's limit as an anchor (benchmark 10, docs/performance.md): the least a server can do for a
// contributor — accept the WebSocket, answer the Login with a Refresh (no rate limit advertised beyond
// 10,000,000 messages/s), and answer every post frame with one frame of Acks, found by a scan for "PostID"
// rather than a JSON parse. Run as `node bench/ack-server.mjs`; prints {"url"} once listening, exits when
// stdin ends. Plain JavaScript, no tsx: its own cost is what the anchor measures.
import { WebSocketServer } from "ws";

const server = new WebSocketServer({ host: "127.0.0.1", port: 0, handleProtocols: () => "tr_json2" });
const POST_ID = /"PostID":(\d+)/g;
const STREAM_ID = /"ID":(\d+)/;

server.on("connection", (socket) => {
  socket.on("error", () => undefined);
  socket.on("message", (data) => {
    const text = data.toString("utf8");
    if (text.includes('"Domain":"Login"')) {
      const id = Number(STREAM_ID.exec(text)?.[1] ?? 1);
      if (text.includes('"Type":"Close"')) return;
      socket.send(
        JSON.stringify([
          {
            Type: "Refresh",
            Domain: "Login",
            ID: id,
            Key: { Name: "bench", Elements: { "TRCE:MaxMessagesPerSecond": 10_000_000 } },
            State: { Stream: "Open", Data: "Ok", Text: "Login accepted" },
          },
        ]),
      );
      return;
    }
    if (text.includes('"Type":"Pong"')) return;
    const streamId = Number(STREAM_ID.exec(text)?.[1] ?? 1);
    let acks = "";
    for (const match of text.matchAll(POST_ID)) {
      acks += `${acks === "" ? "" : ","}{"Type":"Ack","ID":${streamId},"AckID":${match[1]}}`;
    }
    if (acks !== "") socket.send(`[${acks}]`);
  });
});

server.on("listening", () => {
  const { port } = server.address();
  process.stdout.write(`${JSON.stringify({ url: `ws://127.0.0.1:${port}/WebSocket` })}\n`);
});
process.stdin.on("end", () => server.close(() => process.exit(0)));
process.stdin.resume();
