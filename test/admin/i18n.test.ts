// The admin's two languages: the same keys and placeholders in both catalogs, every key the pages build at run
// time present, the admin's locale understood, and times formatted the same on the server and in the browser.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PUSH_STATUSES } from "../../app/pushes/push-status";
import { en, type MessageKey } from "../../app/i18n/en";
import { CATALOGS, formatDateTime, formatDay, formatNumber, translate } from "../../app/i18n/i18n";
import { resolveLocale } from "../../app/i18n/locale";
import { zhCN } from "../../app/i18n/zh-CN";
import { TEST_RECIPIENT_KINDS } from "../../app/pushes/test-push";
import { REASON_CODES } from "../../app/pushes/reasons";
import { TRACKING_STATUSES } from "../../app/pushes/types";
import { reasonKey } from "../../app/components/labels";

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("message catalogs", () => {
  it("have the same keys, the same placeholders, and no empty message", () => {
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(en).sort());
    for (const key of Object.keys(en) as MessageKey[]) {
      expect(en[key].trim(), key).not.toBe("");
      expect(zhCN[key].trim(), key).not.toBe("");
      expect(placeholders(zhCN[key]), key).toEqual(placeholders(en[key]));
    }
  });

  it("translate most messages (only names and symbols stay the same)", () => {
    const same = (Object.keys(en) as MessageKey[]).filter((k) => en[k] === zhCN[k]);
    expect(same.sort()).toEqual(
      ["detail.attempt.http", "detail.attempt.number", "error.title", "home.title", "testPush.httpStatus", "testPush.kind.id", "testPush.value.id"].sort(),
    );
  });

  it("hold every key the pages build from a value: statuses, tracking statuses, skip reasons, errors, recipients", () => {
    const keys: string[] = [
      ...PUSH_STATUSES.map((s) => `status.${s}`),
      ...TRACKING_STATUSES.map((s) => `tracking.${s}`),
      ...["not_found", "not_failed", "not_delivered", "redacted", "changed", "invalid", "confirm"].map((c) => `detail.errors.${c}`),
      ...[
        "receiptEnabled",
        "unpaidEnabled",
        "packageEnabled",
        "unpaidDelayMinutes",
        "recipientPreference",
        "testOrdersEnabled",
        "paused",
        "packageStatuses",
      ].map((f) => `settings.errors.${f}`),
      ...TEST_RECIPIENT_KINDS.flatMap((k) => [`testPush.kind.${k}`, `testPush.value.${k}`, `testPush.valueHelp.${k}`, `testPush.errors.${k}`]),
    ];
    for (const key of keys) expect(en, key).toHaveProperty([key]);
    for (const code of REASON_CODES) {
      expect(reasonKey(code), code).toBe(`reason.${code}`);
      expect(en, code).toHaveProperty([`reason.${code}`]);
    }
  });

  it("name the skip reasons of issues 17 and 18 in the issues' own words, in the admin and the order block", () => {
    const block = JSON.parse(readFileSync(path.join("extensions", "order-pushes", "locales", "en.default.json"), "utf8")) as {
      reason: Record<string, string>;
    };
    const words: [string, string][] = [
      ["not_shipped_yet", "not shipped yet"],
      ["fulfillment_failed", "fulfillment failed"],
      ["nothing_to_ship", "nothing to ship"],
      ["order_cancelled", "order cancelled"],
    ];
    for (const [code, phrase] of words) {
      expect(en[reasonKey(code)!].toLowerCase(), code).toContain(phrase);
      expect(block.reason[code].toLowerCase(), code).toContain(phrase);
    }
  });

  it("hold every key written literally in the admin's source", () => {
    const files = [
      ...readdirSync("app/routes")
        .filter((f) => f.startsWith("app"))
        .map((f) => path.join("app/routes", f)),
      ...readdirSync("app/components").map((f) => path.join("app/components", f)),
    ];
    const used = new Set<string>();
    for (const file of files) {
      for (const m of readFileSync(file, "utf8").matchAll(/\bt\(\s*"([\w.]+)"/g)) used.add(m[1]);
    }
    expect(used.size).toBeGreaterThan(100);
    for (const key of used) expect(en, key).toHaveProperty([key]);
  });

  it("fill placeholders, and fall back to English, then to the key", () => {
    expect(translate(CATALOGS["zh-CN"], "pushes.subtitle", { count: "1,234" })).toBe("共 1,234 条推送");
    expect(translate(CATALOGS.en, "detail.title", { id: 7 })).toBe("Push #7");
    expect(translate({} as never, "nav.home")).toBe("Home");
  });
});

describe("the admin's locale", () => {
  it.each([
    [["zh-CN"], "zh-CN"],
    [["zh"], "zh-CN"],
    [["zh_CN"], "zh-CN"],
    [["zh-Hans"], "zh-CN"],
    [["zh-TW"], "en"],
    [["en-US"], "en"],
    [["fr", "zh-CN"], "zh-CN"],
    [[null, undefined, ""], "en"],
  ] as const)("%j is %s", (candidates, expected) => {
    expect(resolveLocale(...candidates)).toBe(expected);
  });
});

describe("formatting", () => {
  it("writes times in UTC, the same way everywhere", () => {
    expect(formatDateTime(Date.UTC(2026, 10, 28, 9, 5, 59))).toBe("2026-11-28 09:05 UTC");
    expect(formatDateTime(null)).toBe("—");
    expect(formatDay(Date.UTC(2026, 0, 3))).toBe("01-03");
    expect(formatNumber(1234567)).toBe("1,234,567");
    expect(formatNumber(12)).toBe("12");
  });
});
