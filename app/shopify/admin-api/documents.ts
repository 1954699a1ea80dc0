import { z } from "zod";

// Every GraphQL document the app sends to Shopify's Admin API, each with the shape of its answer. The shape is a
// zod schema: the answer is checked where it arrives, and the rest of the app gets a typed value (no casts).
// documents.test.ts validates each document against admin-schema.graphql (Shopify's schema, the part we read).

export interface AdminDocument<TVariables extends Record<string, unknown>, TData> {
  /** The operation's name: what logs and the stand-in's call counts name it by. */
  readonly name: string;
  readonly query: string;
  readonly data: z.ZodType<TData, z.ZodTypeDef, unknown>;
  /** Only here for the type: the variables the document declares. */
  readonly variables?: TVariables;
}

function defineDocument<TVariables extends Record<string, unknown>, TData>(
  name: string,
  query: string,
  data: z.ZodType<TData, z.ZodTypeDef, unknown>,
): AdminDocument<TVariables, TData> {
  return { name, query, data };
}

const url = z.string().min(1);

/** Images of products by id: nodes answers null for a product the shop no longer has. */
export const PRODUCT_IMAGES = defineDocument<{ ids: string[] }, { nodes: ({ id: string; imageUrl: string | null } | null)[] }>(
  "ProductImages",
  `query ProductImages($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on Product {
      id
      featuredMedia {
        preview {
          image {
            url
          }
        }
      }
    }
  }
}`,
  z.object({
    nodes: z.array(
      z
        .object({
          // A node of another type (an id that names no product) selects nothing: an empty object.
          id: z.string().optional(),
          featuredMedia: z
            .object({ preview: z.object({ image: z.object({ url }).nullable() }).nullable() })
            .nullable()
            .optional(),
        })
        .nullable()
        .transform((node) => (node?.id ? { id: node.id, imageUrl: node.featuredMedia?.preview?.image?.url ?? null } : null)),
    ),
  }),
);

const customerPsid = z
  .object({ value: z.string() })
  .nullable()
  .transform((metafield) => {
    const value = metafield?.value.trim() ?? "";
    // A Messenger PSID is digits; anything else in the metafield is not one.
    return /^\d+$/.test(value) ? value : null;
  });

const optionalText = z
  .string()
  .nullable()
  .optional()
  .transform((v) => (v && v.trim() ? v.trim() : null));

export interface OrderContactData {
  order: {
    name: string;
    email: string | null;
    phone: string | null;
    statusPageUrl: string;
    shippingName: string | null;
    billingName: string | null;
    customer: {
      id: string;
      firstName: string | null;
      lastName: string | null;
      email: string | null;
      phone: string | null;
      psid: string | null;
    } | null;
  } | null;
}

/** Whom an order's pushes go to, for a fulfillment whose order the app has not seen. */
export const ORDER_CONTACT = defineDocument<{ id: string }, OrderContactData>(
  "OrderContact",
  `query OrderContact($id: ID!) {
  order(id: $id) {
    name
    email
    phone
    statusPageUrl
    shippingAddress {
      name
    }
    billingAddress {
      name
    }
    customer {
      id
      firstName
      lastName
      defaultEmailAddress {
        emailAddress
      }
      defaultPhoneNumber {
        phoneNumber
      }
      metafield(namespace: "joinchat", key: "psid") {
        value
      }
    }
  }
}`,
  z.object({
    order: z
      .object({
        name: z.string(),
        email: optionalText,
        phone: optionalText,
        statusPageUrl: url,
        shippingAddress: z.object({ name: optionalText }).nullable(),
        billingAddress: z.object({ name: optionalText }).nullable(),
        customer: z
          .object({
            id: z.string(),
            firstName: optionalText,
            lastName: optionalText,
            defaultEmailAddress: z.object({ emailAddress: optionalText }).nullable(),
            defaultPhoneNumber: z.object({ phoneNumber: optionalText }).nullable(),
            metafield: customerPsid,
          })
          .nullable()
          .transform((c) =>
            c
              ? {
                  id: c.id,
                  firstName: c.firstName,
                  lastName: c.lastName,
                  email: c.defaultEmailAddress?.emailAddress ?? null,
                  phone: c.defaultPhoneNumber?.phoneNumber ?? null,
                  psid: c.metafield,
                }
              : null,
          ),
      })
      .nullable()
      .transform((o) =>
        o
          ? {
              name: o.name,
              email: o.email,
              phone: o.phone,
              statusPageUrl: o.statusPageUrl,
              shippingName: o.shippingAddress?.name ?? null,
              billingName: o.billingAddress?.name ?? null,
              customer: o.customer,
            }
          : null,
      ),
  }),
);

/** A customer's Messenger PSID, from the `joinchat.psid` metafield JoinChat writes. */
export const CUSTOMER_PSID = defineDocument<{ id: string }, { customer: { id: string; psid: string | null } | null }>(
  "CustomerPsid",
  `query CustomerPsid($id: ID!) {
  customer(id: $id) {
    id
    metafield(namespace: "joinchat", key: "psid") {
      value
    }
  }
}`,
  z.object({
    customer: z
      .object({ id: z.string(), metafield: customerPsid })
      .nullable()
      .transform((c) => (c ? { id: c.id, psid: c.metafield } : null)),
  }),
);

// --- Customer lookups (decision 024): orders from before the app was installed, and the product catalogue. ---

const moneyV2 = z.object({ amount: z.string(), currencyCode: z.string() });
const moneyBag = z
  .object({ shopMoney: moneyV2, presentmentMoney: moneyV2 })
  .nullable()
  .optional()
  .transform((bag) =>
    bag
      ? {
          shop_money: { amount: bag.shopMoney.amount, currency_code: bag.shopMoney.currencyCode },
          presentment_money: { amount: bag.presentmentMoney.amount, currency_code: bag.presentmentMoney.currencyCode },
        }
      : null,
  );

const mailingAddress = z
  .object({
    name: optionalText,
    firstName: optionalText,
    lastName: optionalText,
    address1: optionalText,
    address2: optionalText,
    city: optionalText,
    zip: optionalText,
    province: optionalText,
    provinceCode: optionalText,
    countryCodeV2: optionalText,
  })
  .nullable()
  .optional()
  .transform((a) =>
    a
      ? {
          name: a.name,
          first_name: a.firstName,
          last_name: a.lastName,
          address1: a.address1,
          address2: a.address2,
          city: a.city,
          zip: a.zip,
          province: a.province,
          province_code: a.provinceCode,
          country_code: a.countryCodeV2,
        }
      : null,
  );

/** The numeric id of a gid (`gid://shopify/Product/12` -> "12"), or null. */
function numericIdOf(gid: string | null | undefined): string | null {
  const match = /^gid:\/\/shopify\/\w+\/(\d+)$/.exec(gid ?? "");
  return match ? match[1] : null;
}

/**
 * An order as the Admin API answers it, in the shape of the webhooks' order payload (app/shopify/payloads.ts, the
 * fields the receipt mapping reads), so that an order found through the Admin API gets the very receipt a push of it
 * would have had. What GraphQL does not say the way the webhook does: a discount is named by its code only when the
 * order has one code (GraphQL gives the codes, not what each took), else "Discount" with the total.
 */
const lookedUpOrder = z
  .object({
    id: z.string(),
    name: z.string(),
    confirmationNumber: optionalText,
    email: optionalText,
    phone: optionalText,
    statusPageUrl: url,
    createdAt: z.string(),
    cancelledAt: optionalText,
    closed: z.boolean(),
    displayFinancialStatus: optionalText,
    paymentGatewayNames: z.array(z.string()),
    currencyCode: z.string(),
    presentmentCurrencyCode: z.string(),
    discountCodes: z.array(z.string()),
    subtotalPriceSet: moneyBag,
    totalPriceSet: moneyBag,
    totalTaxSet: moneyBag,
    totalShippingPriceSet: moneyBag,
    totalDiscountsSet: moneyBag,
    lineItems: z.object({
      nodes: z.array(
        z.object({
          title: z.string(),
          name: z.string(),
          variantTitle: optionalText,
          quantity: z.number(),
          originalUnitPriceSet: moneyBag,
          product: z.object({ id: z.string() }).nullable(),
        }),
      ),
    }),
    shippingAddress: mailingAddress,
    billingAddress: mailingAddress,
  })
  .transform((o) => ({
    closed: o.closed,
    payload: {
      admin_graphql_api_id: o.id,
      id: numericIdOf(o.id),
      name: o.name,
      created_at: o.createdAt,
      confirmation_number: o.confirmationNumber,
      email: o.email,
      phone: o.phone,
      financial_status: o.displayFinancialStatus?.toLowerCase() ?? null,
      cancelled_at: o.cancelledAt,
      currency: o.currencyCode,
      presentment_currency: o.presentmentCurrencyCode,
      payment_gateway_names: o.paymentGatewayNames,
      order_status_url: o.statusPageUrl,
      note_attributes: [],
      shipping_address: o.shippingAddress,
      billing_address: o.billingAddress,
      subtotal_price_set: o.subtotalPriceSet,
      total_price_set: o.totalPriceSet,
      total_tax_set: o.totalTaxSet,
      total_discounts_set: o.totalDiscountsSet,
      total_shipping_price_set: o.totalShippingPriceSet,
      shipping_lines: [],
      discount_codes: o.discountCodes.length === 1 ? [{ code: o.discountCodes[0], amount: o.totalDiscountsSet?.shop_money?.amount ?? null }] : [],
      discount_applications: [],
      line_items: o.lineItems.nodes.map((item) => ({
        title: item.title,
        name: item.name,
        variant_title: item.variantTitle,
        quantity: item.quantity,
        price_set: item.originalUnitPriceSet,
        product_id: numericIdOf(item.product?.id),
        discount_allocations: [],
      })),
    },
  }));

export type LookedUpOrder = z.output<typeof lookedUpOrder>;

/**
 * Orders by Shopify's search syntax (`confirmation_number:…`, `name:"…"`, `email:"…"`, `customer_id:…`), newest
 * first, with what a receipt shows. `$lines` line items each (a receipt shows at most 100): the caller keeps
 * `$first × $lines` within Shopify's single query limit.
 */
export const ORDER_LOOKUP = defineDocument<{ query: string; first: number; lines: number }, { orders: LookedUpOrder[] }>(
  "OrderLookup",
  `query OrderLookup($query: String!, $first: Int!, $lines: Int!) {
  orders(first: $first, query: $query, sortKey: CREATED_AT, reverse: true) {
    nodes {
      id
      name
      confirmationNumber
      email
      phone
      statusPageUrl
      createdAt
      cancelledAt
      closed
      displayFinancialStatus
      paymentGatewayNames
      currencyCode
      presentmentCurrencyCode
      discountCodes
      subtotalPriceSet {
        ...Money
      }
      totalPriceSet {
        ...Money
      }
      totalTaxSet {
        ...Money
      }
      totalShippingPriceSet {
        ...Money
      }
      totalDiscountsSet {
        ...Money
      }
      lineItems(first: $lines) {
        nodes {
          title
          name
          variantTitle
          quantity
          originalUnitPriceSet {
            ...Money
          }
          product {
            id
          }
        }
      }
      shippingAddress {
        ...Address
      }
      billingAddress {
        ...Address
      }
    }
  }
}

fragment Money on MoneyBag {
  shopMoney {
    amount
    currencyCode
  }
  presentmentMoney {
    amount
    currencyCode
  }
}

fragment Address on MailingAddress {
  name
  firstName
  lastName
  address1
  address2
  city
  zip
  province
  provinceCode
  countryCodeV2
}`,
  z.object({ orders: z.object({ nodes: z.array(lookedUpOrder) }) }).transform((d) => ({ orders: d.orders.nodes })),
);

/** The customers with a contact (`phone:…`): order search has no phone filter, so a phone goes through its customer. */
export const CUSTOMERS_BY_CONTACT = defineDocument<{ query: string }, { customers: { id: string; phone: string | null; email: string | null }[] }>(
  "CustomersByContact",
  `query CustomersByContact($query: String!) {
  customers(first: 3, query: $query) {
    nodes {
      id
      defaultPhoneNumber {
        phoneNumber
      }
      defaultEmailAddress {
        emailAddress
      }
    }
  }
}`,
  z
    .object({
      customers: z.object({
        nodes: z.array(
          z.object({
            id: z.string(),
            defaultPhoneNumber: z.object({ phoneNumber: optionalText }).nullable(),
            defaultEmailAddress: z.object({ emailAddress: optionalText }).nullable(),
          }),
        ),
      }),
    })
    .transform((d) => ({
      customers: d.customers.nodes.map((c) => ({
        id: c.id,
        phone: c.defaultPhoneNumber?.phoneNumber ?? null,
        email: c.defaultEmailAddress?.emailAddress ?? null,
      })),
    })),
);

/** A product of the catalogue, in the shape of the products/* webhooks' payload (app/shopify/payloads.ts). */
const catalogueProduct = z
  .object({
    id: z.string(),
    title: z.string(),
    handle: z.string(),
    descriptionHtml: z.string(),
    vendor: z.string(),
    productType: z.string(),
    status: z.string(),
    publishedAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    featuredMedia: z
      .object({ preview: z.object({ image: z.object({ url }).nullable() }).nullable() })
      .nullable()
      .optional(),
    variants: z.object({
      nodes: z.array(
        z.object({
          legacyResourceId: z.string(),
          price: z.string(),
          position: z.number(),
          inventoryQuantity: z.number().nullable().optional(),
          inventoryPolicy: z.string(),
          inventoryItem: z.object({ tracked: z.boolean() }),
        }),
      ),
    }),
  })
  .transform((p) => {
    const image = p.featuredMedia?.preview?.image?.url ?? null;
    return {
      admin_graphql_api_id: p.id,
      id: numericIdOf(p.id),
      title: p.title,
      handle: p.handle,
      body_html: p.descriptionHtml,
      vendor: p.vendor,
      product_type: p.productType,
      status: p.status.toLowerCase(),
      published_at: p.publishedAt,
      created_at: p.createdAt,
      updated_at: p.updatedAt,
      variants: p.variants.nodes.map((v) => ({
        id: v.legacyResourceId,
        price: v.price,
        position: v.position,
        inventory_quantity: v.inventoryQuantity ?? null,
        inventory_policy: v.inventoryPolicy.toLowerCase(),
        inventory_management: v.inventoryItem.tracked ? "shopify" : null,
      })),
      image: image ? { src: image } : null,
      images: [],
    };
  });

export type CatalogueProductPayload = z.output<typeof catalogueProduct>;

/** One page of the shop's products (every status: a draft or archived one is kept hidden, as the webhooks keep it). */
export const CATALOGUE_PRODUCTS = defineDocument<
  { first: number; after: string | null; variants: number },
  { products: CatalogueProductPayload[]; hasNextPage: boolean; endCursor: string | null }
>(
  "CatalogueProducts",
  `query CatalogueProducts($first: Int!, $after: String, $variants: Int!) {
  products(first: $first, after: $after, sortKey: ID) {
    nodes {
      id
      title
      handle
      descriptionHtml
      vendor
      productType
      status
      publishedAt
      createdAt
      updatedAt
      featuredMedia {
        preview {
          image {
            url
          }
        }
      }
      variants(first: $variants) {
        nodes {
          legacyResourceId
          price
          position
          inventoryQuantity
          inventoryPolicy
          inventoryItem {
            tracked
          }
        }
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}`,
  z
    .object({
      products: z.object({
        nodes: z.array(catalogueProduct),
        pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }),
      }),
    })
    .transform((d) => ({ products: d.products.nodes, hasNextPage: d.products.pageInfo.hasNextPage, endCursor: d.products.pageInfo.endCursor })),
);

/** Every document, for the schema check. */
export const ADMIN_DOCUMENTS = [PRODUCT_IMAGES, ORDER_CONTACT, CUSTOMER_PSID, ORDER_LOOKUP, CUSTOMERS_BY_CONTACT, CATALOGUE_PRODUCTS] as const;
