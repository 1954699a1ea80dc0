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
    // Shopify's other admin languages, and the ways shops word COD in them
    "Efterkrav",
    "Oppkrav",
    "Postförskott",
    "Betalning vid leverans",
    "Postiennakko",
    "Maksu toimituksen yhteydessä",
    "कैश ऑन डिलीवरी",
    "Tunai semasa penghantaran",
    "대금 상환",
    "대금 교환",
    "Thanh toán khi giao hàng",
    "Betalen bij levering",
    "代引",
    "Contra entrega",
    "Pago en efectivo contra entrega",
    "Pago a la entrega",
    "Pagamento in contanti alla consegna",
    "Paiement en espèces à la livraison",
    "Barzahlung bei Lieferung",
    "Płatność za pobraniem",
    "Platba na dobírku",
    "Kapıda nakit ödeme",
    "الدفع عند التسليم",
    "Αντικαταβολή",
    "Plata la livrare",
    "Ramburs",
    "Utánvét",
    "Plaćanje pouzećem",
    "Dobierka",
    "Plačilo po povzetju",
    "Наложен платеж",
    "Накладений платіж",
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
    // Prepayment and bank transfers, in the same languages
    "Vorkasse",
    "Überweisung",
    "Virement bancaire",
    "Bonifico bancario",
    "Transferencia bancaria",
    "Betaling før levering",
    "Przelew bankowy",
    "銀行振込",
    "银行转账",
    "계좌이체",
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
