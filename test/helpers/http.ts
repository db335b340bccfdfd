/**
 * One HTTP request on a connection of its own (no keep-alive socket left behind for the leak check), with the
 * body parsed as JSON when it is JSON: the gateway tests' client.
 */
import { request } from "node:http";

/** A response. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  body: any;
  text: string;
}

/** Options of {@link httpCall}. */
export interface HttpCallOptions {
  /** @default "GET" without a body, else "POST" */
  method?: string;
  body?: string;
  headers?: Record<string, string>;
  /** An API key sent as `Authorization: Bearer <key>`. @default none */
  bearer?: string;
}

/** Sends one request and reads the whole response. */
export function httpCall(url: string, options: HttpCallOptions = {}): Promise<HttpAnswer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.bearer !== undefined) headers.Authorization = `Bearer ${options.bearer}`;
  if (options.body !== undefined) headers["Content-Type"] ??= "application/json";
  const method = options.method ?? (options.body === undefined ? "GET" : "POST");
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false });
    req.on("error", reject);
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
      });
    });
    req.end(options.body);
  });
}
