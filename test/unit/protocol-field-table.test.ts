import { describe, expect, it } from "vitest";
import { BUILT_IN_FIELDS, buildFieldTable } from "../../src/protocol/field-table.js";

describe("field table", () => {
  it("knows the tutorial's fields with their RDMFieldDictionary FIDs and types (§2.12)", () => {
    expect(BUILT_IN_FIELDS.BID).toEqual({ fid: 22, type: "real" });
    expect(BUILT_IN_FIELDS.ASK).toEqual({ fid: 25, type: "real" });
    expect(BUILT_IN_FIELDS.DSPLY_NAME).toEqual({ fid: 3, type: "rmtes", maxLength: 16 });
    expect(BUILT_IN_FIELDS.PRIMACT_1).toEqual({ fid: 393, type: "real" });
    expect(BUILT_IN_FIELDS.SEC_ACT_1).toEqual({ fid: 275, type: "real" });
    expect(BUILT_IN_FIELDS.TIMACT).toEqual({ fid: 5, type: "time" });
    expect(BUILT_IN_FIELDS.ROW80_25).toEqual({ fid: 339, type: "rmtes", maxLength: 80 });
  });

  it("gives every field a distinct FID", () => {
    const fids = Object.values(BUILT_IN_FIELDS).map((definition) => definition.fid);
    expect(new Set(fids).size).toBe(fids.length);
  });

  it("lets the configuration add and override fields", () => {
    const table = buildFieldTable({
      MY_FIELD: { fid: 30_001, type: "ascii", maxLength: 8 },
      DSPLY_NAME: { fid: 3, type: "rmtes", maxLength: 32 },
    });
    expect(table.get("MY_FIELD")).toEqual({ fid: 30_001, type: "ascii", maxLength: 8 });
    expect(table.get("DSPLY_NAME")?.maxLength).toBe(32);
    expect(table.get("BID")?.fid).toBe(22);
    expect(table.get("NOT_A_FIELD")).toBeUndefined();
  });
});
