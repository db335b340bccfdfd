/**
 * The parts of a `ws` socket a Link uses, in memory: frames sent are kept, frames are delivered with
 * {@link MemorySocket.receive}. For unit tests of the link without a server.
 */
import { EventEmitter } from "node:events";

export class MemorySocket extends EventEmitter {
  readonly OPEN = 1;
  readonly CLOSED = 3;
  readyState = 1;
  readonly sent: string[] = [];
  send(text: string): void {
    this.sent.push(text);
  }
  terminate(): void {
    this.readyState = this.CLOSED;
  }
  /** Delivers a frame as `ws` does. */
  receive(frame: unknown): void {
    this.emit("message", Buffer.from(JSON.stringify(frame)));
  }
  /** Pongs sent so far. */
  get pongs(): number {
    return this.sent.filter((text) => text.includes('"Pong"')).length;
  }
}
