import { describe, expect, it } from "vitest";
import { cashOnDeliveryGateways, normalizeGatewayName } from "./cash-on-delivery";

/** Whether any of the order's gateways is cash on delivery, as planning asks it (plan.ts). */
const isCashOnDelivery = (names: readonly string[], shopNames?: readonly string[]) => cashOnDeliveryGateways(names, shopNames).length > 0;

describe("cash on delivery, recognised by the gateway names Shopify sends", () => {
  it.each([
    "Cash on Delivery (COD)",
    "cash_on_delivery",
    "COD",
    "Nachnahme",
    "Zahlung per Nachnahme",
    "Contrareembolso",
    "Pago contra entrega",
    "Paiement à la livraison",
    "Pagamento alla consegna",
    "Contrassegno",
    "Pagamento na entrega",
    "Betaling bij levering",
    "Płatność przy odbiorze",
    "Dobírka",
    "Наложенный платёж",
    "Kapıda ödeme",
    "الدفع عند الاستلام",
    "货到付款",
    "貨到付款",
    "代金引換",
    "착불",
    "เก็บเงินปลายทาง",
    "Thanh toán khi nhận hàng (COD)",
    "Bayar di tempat",
  ])("%j is cash on delivery", (name) => {
    expect(isCashOnDelivery([name])).toBe(true);
  });

  it.each([
    "shopify_payments",
    "paypal",
    "manual",
    "bogus",
    "gift_card",
    "Bank Deposit",
    "Money Order",
    // Whole words only: a card brand or a name with "cod" inside is not cash on delivery.
    "Codensa card",
    "Barcode pay",
    "",
  ])("%j is not", (name) => {
    expect(isCashOnDelivery([name])).toBe(false);
  });

  it("finds the COD gateway among others, and nothing in no names", () => {
    expect(cashOnDeliveryGateways(["gift_card", "Cash on Delivery (COD)"])).toEqual(["Cash on Delivery (COD)"]);
    expect(cashOnDeliveryGateways(null)).toEqual([]);
    expect(cashOnDeliveryGateways([null, undefined, "  "])).toEqual([]);
  });

  it("takes the merchant's own names, compared without case, accents or punctuation", () => {
    expect(isCashOnDelivery(["Pay the driver"])).toBe(false);
    expect(isCashOnDelivery(["Pay the driver"], ["pay the DRIVER"])).toBe(true);
    expect(isCashOnDelivery(["Payer au livreur!"], ["payer au livreur"])).toBe(true);
    expect(isCashOnDelivery(["Bank Deposit"], ["pay the driver", "  "])).toBe(false);
  });

  it("normalises names", () => {
    expect(normalizeGatewayName("  Paiement à la LIVRAISON ")).toBe("paiement a la livraison");
    expect(normalizeGatewayName("Cash on Delivery (COD)")).toBe("cash on delivery cod");
    expect(normalizeGatewayName("Płatność")).toBe("platnosc");
  });
});
