// Cash on delivery: the buyer pays the courier, so an order still `pending` is not one the buyer forgot to pay.
// Shopify has no flag for it: a COD order is recognised by its payment gateway names, which are the names the shop
// gave its manual payment method (Shopify's own "Cash on Delivery (COD)", or any name in the shop's language), and by
// the names the merchant adds in the settings.

/**
 * Names of cash on delivery as shops name their manual payment method, compared without case, accents or punctuation
 * (see normalizeGatewayName): a gateway name that contains one of them as whole words is cash on delivery.
 */
export const COD_GATEWAY_WORDS: readonly string[] = [
  // English and Shopify's own
  "cash on delivery",
  "cod",
  "cash_on_delivery",
  "pay on delivery",
  "payment on delivery",
  "collect on delivery",
  // German, Spanish, French, Italian, Portuguese, Dutch
  "nachnahme",
  "zahlung bei lieferung",
  "contrareembolso",
  "contra reembolso",
  "pago contra entrega",
  "pago al recibir",
  "paiement a la livraison",
  "contre remboursement",
  "pagamento alla consegna",
  "contrassegno",
  "pagamento na entrega",
  "pagamento contra entrega",
  "rembours",
  "betaling bij levering",
  "onder rembours",
  // Polish, Czech, Russian, Turkish, Arabic
  "pobranie",
  "platnosc przy odbiorze",
  "dobirka",
  "наложенный платеж",
  "оплата при получении",
  "kapida odeme",
  "الدفع عند الاستلام",
  // Chinese, Japanese, Korean, Thai, Vietnamese, Indonesian
  "货到付款",
  "貨到付款",
  "代金引換",
  "代引き",
  "착불",
  "대금교환",
  "ชำระเงินปลายทาง",
  "เก็บเงินปลายทาง",
  "thanh toan khi nhan hang",
  "bayar di tempat",
];

/** Lower case, accents and punctuation gone, spaces collapsed: "Paiement à la livraison" → "paiement a la livraison". */
export function normalizeGatewayName(name: string): string {
  return (
    name
      .normalize("NFKD")
      .replace(/\p{M}/gu, "")
      .toLowerCase()
      // Letters NFKD keeps whole: Vietnamese đ, Polish ł, Turkish dotless ı, Danish ø, German ß.
      .replace(/đ/g, "d")
      .replace(/ł/g, "l")
      .replace(/ı/g, "i")
      .replace(/ø/g, "o")
      .replace(/ß/g, "ss")
      .replace(/[^\p{L}\p{N}]+/gu, " ")
      .trim()
  );
}

function containsWords(haystack: string, needle: string): boolean {
  if (needle === "") return false;
  // Scripts written without spaces (Chinese, Japanese, Thai) match anywhere; the others on word boundaries.
  if (!/[a-z0-9]/.test(needle)) return haystack.includes(needle);
  return ` ${haystack} `.includes(` ${needle} `);
}

/** The gateway names of an order that are cash on delivery, by the built-in names and the shop's own. */
export function cashOnDeliveryGateways(gatewayNames: readonly (string | null | undefined)[] | null | undefined, shopNames: readonly string[] = []): string[] {
  const words = [...COD_GATEWAY_WORDS, ...shopNames].map(normalizeGatewayName).filter((w) => w !== "");
  return (gatewayNames ?? []).filter((name): name is string => {
    if (typeof name !== "string") return false;
    const normalized = normalizeGatewayName(name);
    return normalized !== "" && words.some((word) => containsWords(normalized, word));
  });
}
