import { createHmac } from "node:crypto";
import { describe, it, expect } from "vitest";
import { signBody, verifySignature } from "./hmac";

describe("signBody", () => {
  it("is base64 HMAC-SHA256 of the exact bytes", () => {
    const body = '{"a":1}';
    expect(signBody(body, "s3cret")).toBe(createHmac("sha256", "s3cret").update(body).digest("base64"));
  });

  it("signs strings as UTF-8, the same as their bytes", () => {
    const body = '{"name":"Zoë 🧾"}';
    expect(signBody(body, "k")).toBe(signBody(new TextEncoder().encode(body), "k"));
  });

  it("changes with whitespace: a re-serialized body has another signature", () => {
    expect(signBody('{"a":1}', "k")).not.toBe(signBody('{"a": 1}', "k"));
  });
});

describe("verifySignature", () => {
  const body = '{"success":true}';
  const good = signBody(body, "k");

  it("accepts the right signature", () => {
    expect(verifySignature(body, "k", good)).toBe(true);
    expect(verifySignature(Buffer.from(body), "k", good)).toBe(true);
  });

  it("rejects a wrong secret, a wrong body and a tampered signature", () => {
    expect(verifySignature(body, "other", good)).toBe(false);
    expect(verifySignature(body + " ", "k", good)).toBe(false);
    const flipped = (good[0] === "A" ? "B" : "A") + good.slice(1);
    expect(verifySignature(body, "k", flipped)).toBe(false);
  });

  it("returns false instead of throwing on odd input", () => {
    expect(verifySignature(body, "k", "")).toBe(false);
    expect(verifySignature(body, "k", "short")).toBe(false);
    expect(verifySignature(body, "k", good + "==")).toBe(false);
    expect(verifySignature(body, "k", "é".repeat(good.length))).toBe(false);
    expect(verifySignature(body, "k", null)).toBe(false);
    expect(verifySignature(body, "k", undefined)).toBe(false);
  });
});
