import { describe, expect, it } from "vitest";
import { toPositionalSql } from "./postgres.server";

describe("toPositionalSql: the app's ? placeholders for PostgreSQL", () => {
  it("numbers the placeholders in order", () => {
    expect(toPositionalSql("SELECT * FROM push WHERE shop = ? AND id > ? LIMIT ?")).toBe("SELECT * FROM push WHERE shop = $1 AND id > $2 LIMIT $3");
  });

  it("leaves a ? inside string literals, quoted identifiers and comments alone", () => {
    expect(toPositionalSql(`SELECT 'why?', "odd?name" FROM t -- who?\nWHERE a = ? AND b = 'it''s ?' AND c = ?`)).toBe(
      `SELECT 'why?', "odd?name" FROM t -- who?\nWHERE a = $1 AND b = 'it''s ?' AND c = $2`,
    );
  });

  it("keeps a statement without placeholders as it is", () => {
    expect(toPositionalSql(`UPDATE "Session" SET "scope" = 'x'`)).toBe(`UPDATE "Session" SET "scope" = 'x'`);
  });
});
