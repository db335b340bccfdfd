/**
 * A minimal client written the way the tutorial's Python example works (LSEG's RCC WebSocket tutorial;
 * docs/protocol.md §1.3, §2.4, §2.8), translated to TypeScript for the reference benchmark (benchmark
 * 8 in docs/performance.md): a password grant with `requests`-style form data, one JSON object per WebSocket frame
 * (`web_socket_app.send(json.dumps(post))`), and every message printed — "SENT:" / "RECEIVED: " followed by
 * `json.dumps(…, sort_keys=True, indent=2)` — to an output stream. No batching, no pacing, no rate governor.
 */
import type { Writable } from "node:stream";
import WebSocket from "ws";

/** The tutorial's `get_sts_token`: a password grant, Basic auth of `client_id:` and the form in the body. */
export async function passwordGrantToken(credentials: {
  authUrl: string;
  user: string;
  password: string;
  clientId: string;
}): Promise<string> {
  const body = new URLSearchParams({
    grant_type: "password",
    username: credentials.user,
    password: credentials.password,
    client_id: credentials.clientId,
    takeExclusiveSignOnControl: "true",
  });
  const response = await fetch(credentials.authUrl, {
    method: "POST",
    headers: {
      Accept: "application/json",
      "Content-Type": "application/x-www-form-urlencoded",
      Authorization: `Basic ${Buffer.from(`${credentials.clientId}:`).toString("base64")}`,
    },
    body,
    redirect: "manual",
  });
  if (response.status !== 200) throw new Error(`password grant answered HTTP ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** `json.dumps(value, sort_keys=True, indent=2)`: keys sorted at every level. */
function prettySorted(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, item: unknown) =>
      item !== null && typeof item === "object" && !Array.isArray(item)
        ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : item,
    2,
  );
}

/** A tutorial-style session: login, then `sendPost` one object per frame; every message printed. */
export class ReferenceClient {
  readonly #ws: WebSocket;
  readonly #out: Writable;
  #postId = 1;
  #primact = 100;
  #secAct = 20;
  /** Called for every Ack (`AckID`, and the Nak code when there is one). */
  onAck: (ackId: number, nakCode: string | undefined) => void = () => undefined;

  private constructor(ws: WebSocket, out: Writable) {
    this.#ws = ws;
    this.#out = out;
  }

  /** Opens the WebSocket, sends the Login and resolves on the Login Refresh (the tutorial's `on_open`). */
  static connect(url: string, token: string, out: Writable): Promise<ReferenceClient> {
    const ws = new WebSocket(url, ["tr_json2"]);
    const client = new ReferenceClient(ws, out);
    return new Promise((resolve, reject) => {
      let loggedIn = false;
      ws.on("error", reject);
      ws.on("close", () => {
        if (!loggedIn) reject(new Error("connection closed before the Login Refresh"));
      });
      ws.on("message", (data: Buffer) => {
        // on_message: parse, print the whole frame, then process each message.
        const messages = JSON.parse(data.toString("utf8")) as Record<string, unknown>[];
        client.#print("RECEIVED: ", messages);
        for (const message of messages) {
          if (message.Type === "Refresh" && message.Domain === "Login") {
            loggedIn = true;
            resolve(client);
          } else {
            client.#process(message);
          }
        }
      });
      ws.on("open", () => {
        const login = {
          ID: 1,
          Domain: "Login",
          Key: {
            NameType: "AuthnToken",
            Elements: { ApplicationId: "256", Position: "127.0.0.1/bench", AuthenticationToken: token },
          },
        };
        // The tutorial prints the Login too; ours never prints a token (it would go to the output stream).
        ws.send(JSON.stringify(login));
        client.#print("SENT:", {
          ...login,
          Key: { ...login.Key, Elements: { ...login.Key.Elements, AuthenticationToken: "***" } },
        });
      });
    });
  }

  /** The tutorial's `send_market_price_post`: one post, one frame, printed. @returns its PostID. */
  sendPost(ric: string): number {
    const postId = this.#postId++;
    const post = {
      Ack: true,
      ID: 1,
      Key: { Name: ric, Service: "DDS_TRCE" },
      Message: {
        Fields: {
          ASK: 451.57,
          PRIMACT_1: this.#primact++,
          SEC_ACT_1: this.#secAct++,
          DSPLY_NAME: "Hello RCC",
          BID: 451.55,
        },
        ID: 0,
        Type: "Update",
      },
      PostID: postId,
      Type: "Post",
    };
    this.#ws.send(JSON.stringify(post));
    this.#print("SENT:", post);
    return postId;
  }

  /** Sends the Login Close and closes the socket. */
  close(): Promise<void> {
    if (this.#ws.readyState !== WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve) => {
      this.#ws.once("close", () => resolve());
      this.#ws.send(JSON.stringify({ ID: 1, Type: "Close", Domain: "Login" }));
      this.#ws.close(1000);
      setTimeout(() => this.#ws.terminate(), 2000).unref();
    });
  }

  #process(message: Record<string, unknown>): void {
    if (message.Type === "Ack") {
      this.onAck(Number(message.AckID), typeof message.NakCode === "string" ? message.NakCode : undefined);
    } else if (message.Type === "Ping") {
      this.#ws.send(JSON.stringify({ Type: "Pong" }));
      this.#print("SENT:", { Type: "Pong" });
    }
  }

  #print(label: string, value: unknown): void {
    this.#out.write(`${label}\n`);
    this.#out.write(`${prettySorted(value)}\n`);
  }
}
