import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { log, maskContact, maskPersonalData, setLogLevel } from "./logger.server";

// The logger writes JSON lines to the process's streams; the tests read those lines.
let lines: { stream: "out" | "err"; line: Record<string, unknown>; raw: string }[];

beforeEach(() => {
  lines = [];
  setLogLevel("debug");
  for (const [stream, target] of [
    ["out", process.stdout],
    ["err", process.stderr],
  ] as const) {
    vi.spyOn(target, "write").mockImplementation((chunk: string | Uint8Array) => {
      const raw = String(chunk);
      lines.push({ stream, raw, line: JSON.parse(raw) as Record<string, unknown> });
      return true;
    });
  }
});
afterEach(() => {
  vi.restoreAllMocks();
  setLogLevel("silent");
});

function only() {
  expect(lines).toHaveLength(1);
  return lines[0];
}

describe("log lines", () => {
  it("are one JSON object per line with time, level and message; warnings and errors on stderr", () => {
    log.info("push delivered", { pushId: 7, shop: "a.myshopify.com" });
    log.error("push failed", { pushId: 8 });
    expect(lines.map((l) => [l.stream, l.line.level, l.line.msg])).toEqual([
      ["out", "info", "push delivered"],
      ["err", "error", "push failed"],
    ]);
    expect(lines[0].raw.endsWith("\n")).toBe(true);
    expect(lines[0].raw.trim()).not.toContain("\n");
    expect(lines[0].line).toMatchObject({ pushId: 7, shop: "a.myshopify.com" });
    expect(Date.parse(lines[0].line.time as string)).not.toBeNaN();
  });

  it("respect the level", () => {
    setLogLevel("warn");
    log.info("hidden");
    log.debug("hidden");
    log.warn("shown");
    expect(lines.map((l) => l.line.msg)).toEqual(["shown"]);
    setLogLevel("silent");
    log.error("hidden too");
    expect(lines).toHaveLength(1);
  });
});

describe("secrets are redacted by key", () => {
  it.each([
    "secret",
    "joinchatSecret",
    "JOINCHAT_API_SECRET",
    "accessToken",
    "x-shopify-access-token",
    "password",
    "signature",
    "X-Joinchat-Signature",
    "authorization",
    "ENCRYPTION_KEY",
    "secret_ciphertext",
  ])("%s", (key) => {
    log.info("settings", { [key]: "s3cr3t-value-123", nested: { deeper: [{ [key]: { value: "s3cr3t-value-123" } }] } });
    const { raw, line } = only();
    expect(raw).not.toContain("s3cr3t-value-123");
    expect(line[key]).toBe("[redacted]");
  });

  it("leaves harmless keys alone", () => {
    log.info("push", { idempotencyKey: "3f2b", topic: "Order/Receipt", attempt: 2, ok: true, none: null });
    expect(only().line).toMatchObject({ idempotencyKey: "3f2b", topic: "Order/Receipt", attempt: 2, ok: true, none: null });
  });
});

describe("emails are masked in free text", () => {
  it("in string fields, arrays and error messages", () => {
    log.warn("webhook refused", {
      error: new Error("customer jon.smith+shop@example.co.uk has no order"),
      note: "ask jon@example.com or ana@mail.example.org",
      list: ["x jon@example.com y"],
    });
    const { raw, line } = only();
    for (const email of ["jon.smith+shop@example.co.uk", "jon@example.com", "ana@mail.example.org"]) expect(raw).not.toContain(email);
    expect(line.note).toBe("ask j***@example.com or a***@mail.example.org");
    expect(line.error).toEqual({ name: "Error", message: "customer j***@example.co.uk has no order" });
    expect(line.list).toEqual(["x j***@example.com y"]);
  });

  it("in the message itself", () => {
    log.warn("no order for jon@example.com");
    const { raw, line } = only();
    expect(raw).not.toContain("jon@example.com");
    expect(line.msg).toBe("no order for j***@example.com");
  });

  it("maskPersonalData keeps text without an email as it is", () => {
    expect(maskPersonalData("order #1001 of gid://shopify/Order/820982911946154508")).toBe("order #1001 of gid://shopify/Order/820982911946154508");
    expect(maskPersonalData("a@b.co")).toBe("a***@b.co");
  });
});

describe("phone numbers in free text are masked as emails are", () => {
  it.each([
    ["JoinChat refused recipient +16135550123: unknown", "JoinChat refused recipient ***23: unknown"],
    ["call +1 (613) 555-0123 now", "call ***23 now"],
    ["phone +44 20 7946 0958.", "phone ***58."],
    ["no user for (613) 555-0199", "no user for ***99"],
    ["no user for 613.555.0142 or 613-555-0143", "no user for ***42 or ***43"],
  ])("%s", (text, masked) => {
    expect(maskPersonalData(text)).toBe(masked);
    log.warn(text, { error: new Error(text), detail: text });
    const { raw, line } = only();
    expect(line.msg).toBe(masked);
    expect(line.detail).toBe(masked);
    expect(raw).not.toMatch(/555[-. ]?01\d\d|7946/);
  });

  it("leaves ids, times and amounts alone", () => {
    for (const text of [
      "order 820982911946154508 of gid://shopify/Order/820982911946154508",
      "psid 6024912345678901",
      "at 2026-11-30T12:00:00.000Z",
      "total 1234.50 USD",
      "port 127.0.0.1:5432",
    ]) {
      expect(maskPersonalData(text)).toBe(text);
    }
  });
});

describe("contact fields are masked", () => {
  it.each([
    ["email", "jon@example.com", "j***@example.com"],
    ["phone", "+1 (613) 555-0123", "***23"],
    ["recipient", "6024912345678901", "***01"],
    ["recipientValue", "+16135550123", "***23"],
    ["recipient_value", "jon@example.com", "j***@example.com"],
    ["contact", "+16135550199", "***99"],
  ])("%s", (key, value, masked) => {
    log.info("push", { [key]: value });
    const { raw, line } = only();
    expect(line[key]).toBe(masked);
    expect(raw).not.toContain(value);
  });

  it("maskContact keeps only what recognises a contact", () => {
    expect(maskContact("buyer@example.com")).toBe("b***@example.com");
    expect(maskContact("+16135550123")).toBe("***23");
  });
});
