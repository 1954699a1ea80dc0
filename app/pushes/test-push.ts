// A merchant's test push: whom it goes to, which topic, and the sample it is built from. Pure (no database),
// so the admin's form validates with the same schema the service does.
import { z } from "zod";
import { normalizeEmail, normalizePhone, normalizePsid } from "./recipient";
import { JOINCHAT_TOPICS, type JoinChatTopic, type PackageParams, type Recipient, type ReceiptParams } from "./types";

export const TEST_RECIPIENT_KINDS = ["id", "email", "phone"] as const;

/** The name a test push greets: never a real buyer's. */
export const SAMPLE_RECIPIENT_NAME = "Test Buyer";

export const TestPushInputSchema = z
  .object({
    recipientKind: z.enum(TEST_RECIPIENT_KINDS, { errorMap: () => ({ message: "must be id, email or phone" }) }),
    recipientValue: z.string({ required_error: "is required" }).trim().min(1, "is required"),
    topic: z.enum(JOINCHAT_TOPICS, { errorMap: () => ({ message: `must be one of ${JOINCHAT_TOPICS.join(", ")}` }) }),
  })
  .strict()
  .transform((input, ctx) => {
    const value =
      input.recipientKind === "id"
        ? normalizePsid(input.recipientValue)
        : input.recipientKind === "email"
          ? normalizeEmail(input.recipientValue)
          : normalizePhone(input.recipientValue);
    if (value === null) {
      const message =
        input.recipientKind === "id"
          ? "must be a Messenger PSID: digits only"
          : input.recipientKind === "email"
            ? "must be an email address"
            : "must be a phone number with 7 to 15 digits";
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["recipientValue"], message });
      return z.NEVER;
    }
    return { recipient: { kind: input.recipientKind, value } as Recipient, topic: input.topic as JoinChatTopic };
  });

export type TestPushInput = z.input<typeof TestPushInputSchema>;
export type ParsedTestPush = z.output<typeof TestPushInputSchema>;

export interface SamplePush {
  params: ReceiptParams | PackageParams;
  /** Per receipt element (or the parcel's first product), the product whose image delivery may add. */
  productGids: (string | null)[];
  orderName: string | null;
  trackingStatus: PackageParams["tracking_status"] | null;
  /** "order": from the shop's most recent push of this kind; "builtin": the app's own sample. */
  source: "order" | "builtin";
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** The built-in sample order, as a receipt (two items, a discount, shipping and tax). */
/** The built-in sample's order number: never one a real order of the shop has (#1001, #1002, ...). */
export const SAMPLE_ORDER_NAME = "TEST-1001";

export function builtInReceipt(topic: "Order/Receipt" | "Order/Unpaid", now: number, orderName = SAMPLE_ORDER_NAME): SamplePush {
  const elements = [
    { title: "Classic cotton T-shirt", subtitle: "Blue / M", quantity: 2, price: 19.5, currency: "USD" },
    { title: "Canvas tote bag", subtitle: "Natural", quantity: 1, price: 24, currency: "USD" },
  ];
  const subtotal = round2(elements.reduce((sum, e) => sum + e.price * e.quantity, 0) - 5);
  const shipping = 4.99;
  const tax = round2(subtotal * 0.08);
  const params: ReceiptParams = {
    recipient_name: SAMPLE_RECIPIENT_NAME,
    order_number: orderName,
    currency: "USD",
    payment_method: topic === "Order/Unpaid" ? "Awaiting payment" : "Shopify Payments",
    timestamp: Math.floor(now / 1000),
    summary: { subtotal, shipping_cost: shipping, total_tax: tax, total_cost: round2(subtotal + shipping + tax) },
    adjustments: [{ name: "WELCOME5", amount: 5 }],
    elements,
  };
  return { params, productGids: elements.map(() => null), orderName, trackingStatus: null, source: "builtin" };
}

/** The built-in sample parcel, on its way. */
export function builtInPackage(shop: string, orderName = SAMPLE_ORDER_NAME): SamplePush {
  const params: PackageParams = {
    tracking_number: orderName === SAMPLE_ORDER_NAME ? SAMPLE_ORDER_NAME : `TEST-${orderName.replace(/^#/, "")}`,
    tracking_url: `https://${shop}/`,
    recipient_name: SAMPLE_RECIPIENT_NAME,
    tracking_status: "in_transit",
  };
  return { params, productGids: [null], orderName, trackingStatus: "in_transit", source: "builtin" };
}

/**
 * A real push's receipt params made into a test push's: the shop's products, amounts and order number stay,
 * the buyer's name, address and order status page (which shows their details) do not.
 */
export function receiptFromSample(
  params: ReceiptParams,
  topic: "Order/Receipt" | "Order/Unpaid",
  productGids: (string | null)[],
  orderName: string | null,
): SamplePush {
  const copy: ReceiptParams = { ...params, recipient_name: SAMPLE_RECIPIENT_NAME };
  delete copy.address;
  delete copy.order_url;
  copy.elements = params.elements.map((element) => {
    const { image_url: _image, ...rest } = element;
    return rest;
  });
  if (topic === "Order/Receipt" && copy.payment_method === "Awaiting payment") copy.payment_method = "Paid";
  if (topic === "Order/Unpaid") copy.payment_method = "Awaiting payment";
  return { params: copy, productGids, orderName, trackingStatus: null, source: "order" };
}

/** A real parcel's params made into a test push's: tracking stays, the buyer's name does not. */
export function packageFromSample(params: PackageParams, productGids: (string | null)[], orderName: string | null): SamplePush {
  const { image_url: _image, ...rest } = params;
  return { params: { ...rest, recipient_name: SAMPLE_RECIPIENT_NAME }, productGids, orderName, trackingStatus: params.tracking_status, source: "order" };
}
