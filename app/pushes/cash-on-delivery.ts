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
  "cash upon delivery",
  "pay upon delivery",
  "payment upon delivery",
  // German, Spanish, French, Italian, Portuguese, Dutch
  "nachnahme",
  "zahlung bei lieferung",
  "barzahlung bei lieferung",
  "contrareembolso",
  "contra reembolso",
  "contra entrega",
  "pago a la entrega",
  "pago en la entrega",
  "pago al recibir",
  "paiement a la livraison",
  "especes a la livraison",
  "comptant a la livraison",
  "contre remboursement",
  "pagamento alla consegna",
  "contanti alla consegna",
  "contrassegno",
  "pagamento na entrega",
  "pagamento contra entrega",
  "pagar na entrega",
  "pague na entrega",
  "dinheiro na entrega",
  "rembours",
  "betaling bij levering",
  "betalen bij levering",
  "betaling bij aflevering",
  "betalen bij aflevering",
  "onder rembours",
  // Danish, Norwegian, Swedish, Finnish
  "efterkrav",
  "oppkrav",
  "betaling ved levering",
  "kontant ved levering",
  "postforskott",
  "betalning vid leverans",
  "kontant vid leverans",
  "postiennakko",
  "maksu toimituksen yhteydessa",
  "maksu toimitettaessa",
  // Polish, Czech, Slovak, Slovenian, Croatian, Hungarian, Romanian, Greek, Russian, Ukrainian, Bulgarian, Turkish
  "pobranie",
  "za pobraniem",
  "platnosc przy odbiorze",
  "dobirka",
  "dobirkou",
  "na dobirku",
  "dobierka",
  "dobierkou",
  "na dobierku",
  "po povzetju",
  "pouzece",
  "pouzecem",
  "utanvet",
  "utanvettel",
  "utanvetes",
  "ramburs",
  "plata la livrare",
  "αντικαταβολη",
  "наложенный платеж",
  "оплата при получении",
  "оплата при доставке",
  "наложен платеж",
  "накладений платіж",
  "оплата при отриманні",
  "kapida odeme",
  "kapida nakit odeme",
  // Arabic, Hebrew, Hindi
  "الدفع عند الاستلام",
  "الدفع عند التسليم",
  "نقدا عند الاستلام",
  "תשלום לשליח",
  "מזומן לשליח",
  "कैश ऑन डिलीवरी",
  "डिलीवरी पर नकद",
  "डिलीवरी पर भुगतान",
  // Chinese, Japanese, Korean, Thai, Vietnamese, Indonesian, Malay
  "货到付款",
  "貨到付款",
  "代金引換",
  "代引",
  "착불",
  "대금교환",
  "대금상환",
  "ชำระเงินปลายทาง",
  "เก็บเงินปลายทาง",
  "thanh toan khi nhan hang",
  "thanh toan khi giao hang",
  "bayar di tempat",
  "bayar ditempat",
  "tunai semasa penghantaran",
  "bayar semasa penghantaran",
  "bayaran semasa penghantaran",
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

/** Whether a normalized name contains a normalized needle: as whole words in the Latin script, anywhere in others. */
export function containsWords(haystack: string, needle: string): boolean {
  if (needle === "") return false;
  // Names in other scripts match anywhere, spaces aside: Chinese, Japanese and Thai are written without them, and
  // Korean, Cyrillic, Greek, Arabic or Hindi names are spaced in more than one way ("대금 상환", "대금상환").
  if (!/[a-z0-9]/.test(needle)) return haystack.replace(/ /g, "").includes(needle.replace(/ /g, ""));
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
