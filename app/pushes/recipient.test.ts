import { describe, expect, it } from "vitest";
import { chooseRecipient, maskRecipient, normalizeEmail, normalizePhone, normalizePsid } from "./recipient";

const all = { psid: "6024912345678901", email: "jon@example.com", phone: "+1 (502) 555-0142" };

describe("chooseRecipient", () => {
  it("prefers the PSID whatever the preference", () => {
    expect(chooseRecipient(all, "email")).toEqual({ kind: "id", value: "6024912345678901" });
    expect(chooseRecipient(all, "phone")).toEqual({ kind: "id", value: "6024912345678901" });
  });

  it("then email before phone by default", () => {
    expect(chooseRecipient({ ...all, psid: null }, "email")).toEqual({ kind: "email", value: "jon@example.com" });
  });

  it("then phone before email when the merchant prefers phone", () => {
    expect(chooseRecipient({ ...all, psid: null }, "phone")).toEqual({ kind: "phone", value: "+15025550142" });
  });

  it("falls back to the other contact when the preferred one is missing or unusable", () => {
    expect(chooseRecipient({ psid: null, email: null, phone: "502-555-0142" }, "email")).toEqual({
      kind: "phone",
      value: "5025550142",
    });
    expect(chooseRecipient({ psid: null, email: "jon@example.com", phone: "555-555-SHIP" }, "phone")).toEqual({
      kind: "email",
      value: "jon@example.com",
    });
    expect(chooseRecipient({ psid: "not-a-psid", email: " jon@example.com ", phone: null }, "email")).toEqual({
      kind: "email",
      value: "jon@example.com",
    });
  });

  it("is null when no contact is usable", () => {
    expect(chooseRecipient({ psid: null, email: null, phone: null }, "email")).toBeNull();
    expect(chooseRecipient({ psid: " ", email: "not an email", phone: "555-555-SHIP" }, "phone")).toBeNull();
  });
});

describe("normalizePhone", () => {
  it.each([
    ["+1 (502) 555-0142", "+15025550142"],
    [" 502.555.0142 ", "5025550142"],
    ["+44 20 7946 0958", "+442079460958"],
    ["0049/30/1234567", "0049301234567"],
  ])("%j -> %s", (input, output) => {
    expect(normalizePhone(input)).toBe(output);
  });

  it.each(["555-555-SHIP", "12345", "1234567890123456", "", "  ", null, undefined, "+1 502 555 0142 ext 7", "☎ 5025550142"])("rejects %j", (input) => {
    expect(normalizePhone(input)).toBeNull();
  });
});

describe("normalizeEmail and normalizePsid", () => {
  it("trim and validate", () => {
    expect(normalizeEmail(" a@b.co ")).toBe("a@b.co");
    expect(normalizeEmail("a@")).toBeNull();
    expect(normalizeEmail("a b@c.d")).toBeNull();
    expect(normalizeEmail(null)).toBeNull();
    expect(normalizePsid(" 123 ")).toBe("123");
    expect(normalizePsid("12a")).toBeNull();
    expect(normalizePsid(null)).toBeNull();
  });
});

describe("maskRecipient", () => {
  it.each([
    [{ kind: "email", value: "jon@example.com" }, "j***@example.com"],
    [{ kind: "email", value: "a@b.co" }, "a***@b.co"],
    [{ kind: "email", value: "@example.com" }, "***"],
    [{ kind: "email", value: "nonsense" }, "***"],
    [{ kind: "phone", value: "+15025550142" }, "********42"],
    [{ kind: "phone", value: "42" }, "********"],
    [{ kind: "id", value: "6024912345671234" }, "****1234"],
    [{ kind: "id", value: "1234" }, "****"],
    [{ kind: "carrier-pigeon", value: "secret" }, "***"],
  ] as const)("%j -> %s", (recipient, masked) => {
    expect(maskRecipient(recipient)).toBe(masked);
  });

  it("says when there is no recipient", () => {
    expect(maskRecipient(null)).toBe("(none)");
  });

  it("never contains the full value", () => {
    for (const recipient of [
      chooseRecipient(all, "email"),
      chooseRecipient({ ...all, psid: null }, "email"),
      chooseRecipient({ ...all, psid: null }, "phone"),
    ]) {
      expect(maskRecipient(recipient)).not.toContain(recipient!.value);
    }
  });
});
