import { describe, expect, it } from "vitest";
import { endsStream, readItemEvent } from "../../src/client/consumer/item-events.js";
import { buildItemCloses, buildItemRequest, buildUserNameLogin } from "../../src/protocol/messages.js";
import { MAX_CELL_LENGTH, WatchTable } from "../../src/cli/watch-table.js";

const rics = new Map([[2, "TRCCTEST01"]]);
const event = (message: Record<string, unknown>) => readItemEvent(message, (id) => rics.get(id))!;

describe("subscription messages (§4A.1, §4A.5)", () => {
  it("builds item requests with the service and view only when given, and a user-name Login without NameType", () => {
    expect(buildItemRequest({ streamId: 2, ric: "A.N" })).toEqual({ ID: 2, Key: { Name: "A.N" } });
    expect(buildItemRequest({ streamId: 3, ric: "B.N", service: "DDS_TRCE", view: ["BID"], streaming: false })).toEqual(
      {
        ID: 3,
        Key: { Name: "B.N", Service: "DDS_TRCE" },
        View: ["BID"],
        Streaming: false,
      },
    );
    expect(buildUserNameLogin({ user: "jdoe", applicationId: "256", position: "10.0.0.5/net" })).toEqual({
      ID: 1,
      Domain: "Login",
      Key: { Name: "jdoe", Elements: { ApplicationId: "256", Position: "10.0.0.5/net" } },
    });
    expect(buildItemCloses([2, 3])).toEqual([
      { ID: 2, Type: "Close" },
      { ID: 3, Type: "Close" },
    ]);
  });

  it("reads item messages leniently: numeric Type and State enums, the RIC from the stream table, stream ends", () => {
    const refresh = event({ ID: 2, Type: 2, State: { Stream: 2, Data: 1 }, Fields: { BID: 1 } });
    expect(refresh).toMatchObject({ type: "Refresh", ric: "TRCCTEST01", fields: { BID: 1 } });
    expect(refresh.state).toMatchObject({ stream: "NonStreaming", data: "Ok" });
    expect(endsStream(refresh)).toBe(true);
    const update = event({
      ID: 2,
      Type: "Update",
      Fields: { ASK: 2 },
      PostUserInfo: { Address: "1.2.3.4", UserID: 1 },
    });
    expect(update.postUserInfo).toEqual({ Address: "1.2.3.4", UserID: 1 });
    expect(endsStream(update)).toBe(false);
    expect(event({ ID: 9, Type: "Status", Key: { Name: "X.N" } }).ric).toBe("X.N");
    expect(readItemEvent({ Type: "Ack", ID: 2 }, () => undefined)).toBeUndefined();
  });
});

describe("the rcc watch table", () => {
  it("shows a row per RIC, columns as fields appear, and marks changed cells with * when colour is off", () => {
    const table = new WatchTable(["TRCCTEST01", "TRCCTEST02"]);
    expect(table.render({ colour: false })).toEqual([
      "RIC         STATE",
      "TRCCTEST01  requested",
      "TRCCTEST02  requested",
    ]);
    table.apply(
      event({
        ID: 2,
        Type: "Refresh",
        State: { Stream: "Open", Data: "Ok", Text: "All is well" },
        Fields: { BID: 1, DSPLY_NAME: null },
      }),
    );
    table.apply(event({ ID: 2, Type: "Update", Fields: { BID: 1.5, ASK: 2 } }));
    expect(table.render({ colour: false })).toEqual([
      "RIC         BID   DSPLY_NAME  ASK  STATE",
      "TRCCTEST01  1.5*              2*   Open/Ok All is well",
      "TRCCTEST02                         requested",
    ]);
    table.apply(event({ ID: 2, Type: "Update", Fields: { BID: 1.5, ASK: 3 } }));
    expect(table.render({ colour: false })[1]).toBe("TRCCTEST01  1.5               3*   Open/Ok All is well");
  });

  it("marks changed cells in inverse video with colour, keeps view columns fixed, and cuts lines to the width", () => {
    const table = new WatchTable(["TRCCTEST01"], ["ASK", "BID"]);
    table.apply(
      event({ ID: 2, Type: "Refresh", State: { Stream: "Open", Data: "Ok" }, Fields: { ASK: 7, BID: 6, OTHER: 1 } }),
    );
    const [header, row] = table.render({ colour: true });
    expect(header).toBe("RIC         ASK  BID  STATE");
    expect(row).toBe("TRCCTEST01  \x1b[7m7\x1b[0m    \x1b[7m6\x1b[0m    Open/Ok");
    expect(table.render({ colour: false, width: 14 })).toEqual(["RIC         AS", "TRCCTEST01  7*"]);
  });

  it("keeps each column as wide as it has been, so columns do not jump when a value gets shorter", () => {
    const table = new WatchTable(["TRCCTEST01"]);
    table.apply(
      event({ ID: 2, Type: "Refresh", State: { Stream: "Open", Data: "Ok" }, Fields: { BID: 451.55, ASK: 2 } }),
    );
    expect(table.render({ colour: false })).toEqual([
      "RIC         BID      ASK  STATE",
      "TRCCTEST01  451.55*  2*   Open/Ok",
    ]);
    table.apply(event({ ID: 2, Type: "Update", Fields: { BID: 1, ASK: 1234.5678 } }));
    const wider = table.render({ colour: false });
    expect(wider).toEqual(["RIC         BID      ASK         STATE", "TRCCTEST01  1*       1234.5678*  Open/Ok"]);
    table.apply(event({ ID: 2, Type: "Update", Fields: { ASK: 3 } }));
    const after = table.render({ colour: true });
    expect(after[0]).toBe(wider[0]);
    expect(after[1]).toBe(`TRCCTEST01  1        \x1b[7m3\x1b[0m${" ".repeat(11)}Open/Ok`);
    // Where each column starts is the same from one drawing to the next.
    expect(after[0]?.indexOf("STATE")).toBe(wider[1]?.indexOf("Open/Ok"));
  });

  it("bounds a column's width by the longest cell shown, however long a value was", () => {
    const table = new WatchTable(["TRCCTEST01"]);
    table.apply(event({ ID: 2, Type: "Refresh", Fields: { DSPLY_NAME: "x".repeat(500) } }));
    table.render({ colour: false });
    table.apply(event({ ID: 2, Type: "Update", Fields: { DSPLY_NAME: "short" } }));
    const [header] = table.render({ colour: false });
    expect(header?.indexOf("STATE")).toBe("TRCCTEST01  ".length + MAX_CELL_LENGTH + 1 + 2);
  });

  it("shows a Status's state with its code and text", () => {
    const table = new WatchTable([]);
    table.apply(
      event({
        ID: 7,
        Type: "Status",
        Key: { Name: "NOPE.N" },
        State: { Stream: "Closed", Data: "Suspect", Code: "NotFound", Text: "**The record could not be found" },
      }),
    );
    expect(table.render({ colour: false })[1]).toBe("NOPE.N  Closed/Suspect NotFound **The record could not be found");
  });

  it("shows the connection's status line under the rows, escaped and cut at the width, until it is removed", () => {
    const table = new WatchTable(["TRCCTEST01"]);
    expect(table.render({ colour: false })).toHaveLength(2);
    table.setStatus("connection lost: System busy\x1b[2J\r\nack TRCCTEST01; reconnecting in 1.2 s (attempt 1)");
    const lines = table.render({ colour: false });
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe(
      "-- connection lost: System busy\\x1b[2J\\r\\nack TRCCTEST01; reconnecting in 1.2 s (attempt 1)",
    );
    expect(table.render({ colour: false, width: 20 })[2]).toBe("-- connection lost: ");
    table.setStatus(undefined);
    expect(table.render({ colour: false })).toHaveLength(2);
  });
});
