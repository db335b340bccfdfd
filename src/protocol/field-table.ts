/**
 * The field dictionary shared by the simulator (to validate posts) and the CLI (to check values before posting): a small hand-written table of common RDMFieldDictionary acronyms with
 * their FID, value type and (for strings) maximum length (§2.12). The real dictionary carries a
 * no-redistribution notice, so only the facts needed to validate posts are kept here; `config.fields`
 * adds or overrides entries.
 *
 * Types follow the dictionary's RWF TYPE column: REAL64 → "real", UINT64 → "uint", ENUM → "enum",
 * DATE → "date", TIME → "time", RMTES_STRING → "rmtes" (RWF LEN as maxLength), ASCII_STRING → "ascii".
 */
/** RWF-ish value type of a field (§2.12). */
type FieldType = "real" | "int" | "uint" | "enum" | "date" | "time" | "datetime" | "rmtes" | "ascii" | "buffer";

/** One row of the field table: a field's id, value type and, for strings, its maximum length. */
export interface FieldDefinition {
  fid: number;
  type: FieldType;
  /** Maximum length for string types, in characters. */
  maxLength?: number;
}

const real = (fid: number): FieldDefinition => ({ fid, type: "real" });
const time = (fid: number): FieldDefinition => ({ fid, type: "time" });
const date = (fid: number): FieldDefinition => ({ fid, type: "date" });
const rmtes = (fid: number, maxLength: number): FieldDefinition => ({ fid, type: "rmtes", maxLength });

/** Built-in field definitions, by acronym. */
export const BUILT_IN_FIELDS: Readonly<Record<string, FieldDefinition>> = {
  PROD_PERM: { fid: 1, type: "uint" },
  RDNDISPLAY: { fid: 2, type: "uint" },
  DSPLY_NAME: rmtes(3, 16),
  RDN_EXCHID: { fid: 4, type: "enum" },
  TIMACT: time(5),
  TRDPRC_1: real(6),
  NETCHNG_1: real(11),
  HIGH_1: real(12),
  LOW_1: real(13),
  CURRENCY: { fid: 15, type: "enum" },
  TRADE_DATE: date(16),
  ACTIV_DATE: date(17),
  TRDTIM_1: time(18),
  OPEN_PRC: real(19),
  HST_CLOSE: real(21),
  BID: real(22),
  BID_1: real(23),
  BID_2: real(24),
  ASK: real(25),
  ASK_1: real(26),
  ASK_2: real(27),
  NEWS: rmtes(28, 4),
  NEWS_TIME: time(29),
  BIDSIZE: real(30),
  ASKSIZE: real(31),
  ACVOL_1: real(32),
  YIELD: real(35),
  PCTCHNG: real(56),
  MATUR_DATE: date(68),
  COUPN_RATE: real(69),
  NUM_MOVES: real(77),
  OFFCL_CODE: rmtes(78, 12),
  BID_NET_CH: real(114),
  MID_PRICE: real(134),
  BID_TIME: time(266),
  ASK_TIME: time(267),
  SEC_ACT_1: real(275),
  BID_YIELD: real(362),
  ASK_YIELD: real(363),
  SALTIM: time(379),
  PRIMACT_1: real(393),
  CTBTR_1: rmtes(831, 12),
  CTB_LOC1: rmtes(836, 3),
  CTB_PAGE1: rmtes(841, 4),
  VALUE_DT1: date(875),
  VALUE_TM1: time(880),
  BKGD_REF: { fid: 967, type: "ascii", maxLength: 21 },
  SEC_YLD_1: real(970),
  GEN_TEXT16: rmtes(995, 16),
  GEN_VAL1: real(996),
  GEN_VAL2: real(997),
  GEN_VAL3: real(998),
  GEN_VAL4: real(999),
  GV1_TEXT: rmtes(1000, 6),
  GV2_TEXT: rmtes(1001, 6),
  GV3_TEXT: rmtes(1002, 6),
  GV4_TEXT: rmtes(1003, 6),
  VALUE_TS1: time(1010),
  QUOTIM: time(1025),
  GV1_DATE: date(1028),
  DSPLY_NMLL: rmtes(1352, 32),
  // Page-style records: ROW80_1 … ROW80_25 are FIDs 315 … 339, 80 characters each.
  ...Object.fromEntries(Array.from({ length: 25 }, (_, index) => [`ROW80_${index + 1}`, rmtes(315 + index, 80)])),
};

/**
 * The lookup table the post handler uses: built-in fields overlaid with `extra` (config.fields).
 * A Map so that lookups by acronym are a single hash probe on the hot path.
 */
export function buildFieldTable(
  extra: Readonly<Record<string, FieldDefinition>> = {},
): ReadonlyMap<string, FieldDefinition> {
  const table = new Map<string, FieldDefinition>();
  for (const [name, definition] of Object.entries(BUILT_IN_FIELDS)) table.set(name, definition);
  for (const [name, definition] of Object.entries(extra)) table.set(name, definition);
  return table;
}
