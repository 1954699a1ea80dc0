import { readFileSync } from "node:fs";
import {
  buildSchema,
  execute,
  getNamedType,
  getNullableType,
  GraphQLError,
  isAbstractType,
  isLeafType,
  isListType,
  Kind,
  parse,
  validate,
  valueFromASTUntyped,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";

// The stand-in's GraphQL Admin API: the app's documents run for real (graphql-js) against the schema the app keeps
// (app/shopify/admin-api/admin-schema.graphql), over one shop's data, with Shopify's access scopes and its
// calculated query cost (shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits: a scalar or enum costs 0, an
// object 1, an interface the most of its possible selections, a list of objects as many times as it asks for).

export const ADMIN_SCHEMA_FILE = new URL("../../../app/shopify/admin-api/admin-schema.graphql", import.meta.url);

let schema: GraphQLSchema | undefined;

export function adminSchema(): GraphQLSchema {
  schema ??= buildSchema(readFileSync(ADMIN_SCHEMA_FILE, "utf8"));
  return schema;
}

export interface StandInVariant {
  /** Numeric id (legacyResourceId). */
  id: string;
  price: string;
  inventoryQuantity?: number | null;
  /** Default DENY. */
  inventoryPolicy?: "DENY" | "CONTINUE";
  /** Default true. */
  tracked?: boolean;
}

export interface StandInProduct {
  title?: string;
  /** The featured image's URL; null: the product has no media. */
  imageUrl: string | null;
  handle?: string;
  descriptionHtml?: string;
  vendor?: string;
  productType?: string;
  /** Default ACTIVE. */
  status?: "ACTIVE" | "DRAFT" | "ARCHIVED";
  /** ISO time; null: not on the Online Store. Default: createdAt. */
  publishedAt?: string | null;
  createdAt?: string;
  updatedAt?: string;
  variants?: StandInVariant[];
}

export interface StandInCustomer {
  firstName?: string | null;
  lastName?: string | null;
  email?: string | null;
  phone?: string | null;
  /** Metafields by `namespace.key`, e.g. `joinchat.psid`. */
  metafields?: Record<string, string>;
}

export interface StandInLineItem {
  title: string;
  variantTitle?: string | null;
  quantity: number;
  /** Unit price in the shop's currency (presentment the same unless presentmentPrice). */
  price: string;
  presentmentPrice?: string;
  productGid?: string | null;
}

export interface StandInAddress {
  name?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  address1?: string | null;
  address2?: string | null;
  city?: string | null;
  zip?: string | null;
  province?: string | null;
  provinceCode?: string | null;
  countryCode?: string | null;
}

export interface StandInOrder {
  name: string;
  email?: string | null;
  phone?: string | null;
  statusPageUrl: string;
  shippingName?: string | null;
  billingName?: string | null;
  customerGid?: string | null;
  confirmationNumber?: string | null;
  /** ISO time (default: now). Orders older than 60 days are hidden from `orders` without read_all_orders, as Shopify does. */
  createdAt?: string;
  cancelledAt?: string | null;
  closed?: boolean;
  /** Default PAID. */
  financialStatus?: string;
  /** Default USD; presentmentCurrency defaults to it. */
  currency?: string;
  presentmentCurrency?: string;
  gateways?: string[];
  discountCodes?: string[];
  lineItems?: StandInLineItem[];
  subtotal?: string;
  total?: string;
  tax?: string;
  shipping?: string;
  discounts?: string;
  /** The full shipping address (its name overrides shippingName). */
  shippingAddress?: StandInAddress;
}

export interface ShopData {
  products: Map<string, StandInProduct>;
  orders: Map<string, StandInOrder>;
  customers: Map<string, StandInCustomer>;
}

export interface GraphqlOutcome {
  operation: string;
  /** null: the document did not parse or validate (Shopify answers those with errors and no cost). */
  requestedCost: number | null;
  /** The answer's body once executed; built by the caller when throttled. */
  execute(): { body: Record<string, unknown>; actualCost: number };
  errorsBody?: Record<string, unknown>;
}

function accessDenied(field: string, scope: string, path: readonly (string | number)[]): GraphQLError {
  return new GraphQLError(`Access denied for ${field} field. Required access: \`${scope}\` access scope.`, {
    path,
    extensions: { code: "ACCESS_DENIED", documentation: "https://shopify.dev/api/usage/access-scopes", requiredAccess: `\`${scope}\` access scope.` },
  });
}

const GID = /^gid:\/\/shopify\/(\w+)\/(\d+)$/;

/** The root value of one request: the shop's objects, each field checking the token's scopes. */
function rootOf(data: ShopData, scopes: ReadonlySet<string>) {
  const needs = (scope: string, field: string, path: readonly (string | number)[]) => {
    // A write scope includes the read one.
    if (!scopes.has(scope) && !scopes.has(scope.replace(/^read_/, "write_"))) throw accessDenied(field, scope, path);
  };

  const metafieldOf = (owner: string, values: Record<string, string> | undefined) => (args: { namespace?: string; key: string }) => {
    const namespace = args.namespace ?? "$app";
    const value = values?.[`${namespace}.${args.key}`];
    if (value === undefined) return null;
    return {
      __typename: "Metafield",
      id: `gid://shopify/Metafield/${owner.replace(/\D/g, "")}`,
      namespace,
      key: args.key,
      type: "single_line_text_field",
      value,
    };
  };

  const customerOf = (gid: string) => {
    const c = data.customers.get(gid);
    if (!c) return null;
    const displayName = [c.firstName, c.lastName].filter(Boolean).join(" ") || c.email || c.phone || "";
    return {
      __typename: "Customer",
      id: gid,
      firstName: c.firstName ?? null,
      lastName: c.lastName ?? null,
      displayName,
      email: c.email ?? null,
      phone: c.phone ?? null,
      defaultEmailAddress: c.email ? { emailAddress: c.email } : null,
      defaultPhoneNumber: c.phone ? { phoneNumber: c.phone } : null,
      metafield: metafieldOf(gid, c.metafields),
    };
  };

  const productOf = (gid: string) => {
    const p = data.products.get(gid);
    if (!p) return null;
    const mediaId = `gid://shopify/MediaImage/${gid.replace(/\D/g, "")}`;
    return {
      __typename: "Product",
      id: gid,
      title: p.title ?? "Product",
      featuredMedia: p.imageUrl
        ? {
            __typename: "MediaImage",
            id: mediaId,
            alt: null,
            mediaContentType: "IMAGE",
            preview: { image: { url: p.imageUrl }, status: "READY" },
            image: { url: p.imageUrl },
          }
        : null,
    };
  };

  const orderOf = (gid: string) => {
    const o = data.orders.get(gid);
    if (!o) return null;
    return {
      __typename: "Order",
      id: gid,
      name: o.name,
      email: o.email ?? null,
      phone: o.phone ?? null,
      statusPageUrl: o.statusPageUrl,
      shippingAddress: o.shippingName === undefined ? null : { name: o.shippingName },
      billingAddress: o.billingName === undefined ? null : { name: o.billingName },
      customer: (_args: unknown, _ctx: unknown, info: { path: { prev: unknown; key: string | number } }) => {
        needs("read_customers", "customer", pathOf(info.path));
        return o.customerGid ? customerOf(o.customerGid) : null;
      },
    };
  };

  const money = (amount: string | undefined, currency: string, presentment?: { amount?: string; currency: string }) => ({
    shopMoney: { amount: amount ?? "0.00", currencyCode: currency },
    presentmentMoney: { amount: presentment?.amount ?? amount ?? "0.00", currencyCode: presentment?.currency ?? currency },
  });

  const addressOf = (a: StandInAddress | undefined, name: string | null | undefined) =>
    a
      ? {
          name: a.name ?? name ?? null,
          firstName: a.firstName ?? null,
          lastName: a.lastName ?? null,
          address1: a.address1 ?? null,
          address2: a.address2 ?? null,
          city: a.city ?? null,
          zip: a.zip ?? null,
          province: a.province ?? null,
          provinceCode: a.provinceCode ?? null,
          countryCodeV2: a.countryCode ?? null,
        }
      : name === undefined
        ? null
        : { name };

  /** What `orders` answers of an order: everything a receipt shows. */
  const fullOrderOf = (gid: string) => {
    const o = data.orders.get(gid)!;
    const base = orderOf(gid)!;
    const currency = o.currency ?? "USD";
    const presentment = o.presentmentCurrency ?? currency;
    // An amount in the buyer's currency: the shop amount when the currencies are the same; a test gives both otherwise.
    const bag = (amount: string | undefined) => money(amount, currency, { currency: presentment });
    const lines = o.lineItems ?? [];
    return {
      ...base,
      confirmationNumber: o.confirmationNumber ?? null,
      createdAt: o.createdAt ?? new Date().toISOString(),
      cancelledAt: o.cancelledAt ?? null,
      closed: o.closed ?? false,
      displayFinancialStatus: o.financialStatus ?? "PAID",
      paymentGatewayNames: o.gateways ?? ["shopify_payments"],
      currencyCode: currency,
      presentmentCurrencyCode: presentment,
      discountCodes: o.discountCodes ?? [],
      subtotalPriceSet: bag(o.subtotal),
      totalPriceSet: bag(o.total),
      totalTaxSet: bag(o.tax),
      totalShippingPriceSet: bag(o.shipping),
      totalDiscountsSet: bag(o.discounts),
      lineItems: (args: { first?: number; after?: string }) =>
        connection(
          lines.map((line, i) => ({
            id: `gid://shopify/LineItem/${gid.replace(/\D/g, "")}${i}`,
            title: line.title,
            name: line.variantTitle ? `${line.title} - ${line.variantTitle}` : line.title,
            variantTitle: line.variantTitle ?? null,
            quantity: line.quantity,
            originalUnitPriceSet: money(line.price, currency, { amount: line.presentmentPrice, currency: presentment }),
            product: line.productGid ? { id: line.productGid } : null,
          })),
          args,
        ),
      shippingAddress: addressOf(o.shippingAddress, o.shippingName),
    };
  };

  const fullProductOf = (gid: string) => {
    const p = data.products.get(gid)!;
    const created = p.createdAt ?? "2026-01-01T00:00:00Z";
    const title = p.title ?? "Product";
    return {
      ...productOf(gid)!,
      handle: p.handle ?? title.toLowerCase().replace(/\W+/g, "-"),
      descriptionHtml: p.descriptionHtml ?? "",
      vendor: p.vendor ?? "",
      productType: p.productType ?? "",
      status: p.status ?? "ACTIVE",
      publishedAt: p.publishedAt === undefined ? created : p.publishedAt,
      createdAt: created,
      updatedAt: p.updatedAt ?? created,
      variants: (args: { first?: number; after?: string }) =>
        connection(
          (p.variants ?? []).map((v, i) => ({
            id: `gid://shopify/ProductVariant/${v.id}`,
            legacyResourceId: v.id,
            price: v.price,
            position: i + 1,
            inventoryQuantity: v.inventoryQuantity ?? 0,
            inventoryPolicy: v.inventoryPolicy ?? "DENY",
            inventoryItem: { id: `gid://shopify/InventoryItem/${v.id}`, tracked: v.tracked ?? true },
          })),
          args,
        ),
    };
  };

  const nodeOf = (gid: string, index: number) => {
    const type = GID.exec(gid)?.[1];
    try {
      if (type === "Product") {
        needs("read_products", "nodes", ["nodes", index]);
        return productOf(gid);
      }
      if (type === "Order") {
        needs("read_orders", "nodes", ["nodes", index]);
        return orderOf(gid);
      }
      if (type === "Customer") {
        needs("read_customers", "nodes", ["nodes", index]);
        return customerOf(gid);
      }
      return null;
    } catch (error) {
      // graphql-js turns an Error in a list into null at that index, with the error: what Shopify answers.
      return error as GraphQLError;
    }
  };

  return {
    nodes: (args: { ids: string[] }) => args.ids.map((id, i) => nodeOf(id, i)),
    order: (args: { id: string }) => {
      needs("read_orders", "order", ["order"]);
      return orderOf(args.id);
    },
    customer: (args: { id: string }) => {
      needs("read_customers", "customer", ["customer"]);
      return customerOf(args.id);
    },
    product: (args: { id: string }) => {
      needs("read_products", "product", ["product"]);
      return productOf(args.id);
    },
    orders: (args: { first?: number; after?: string; query?: string; reverse?: boolean }) => {
      needs("read_orders", "orders", ["orders"]);
      const terms = parseSearch(args.query);
      // Shopify shows an app the last 60 days of orders unless it has read_all_orders.
      const oldest = scopes.has("read_all_orders") ? -Infinity : Date.now() - 60 * 86_400_000;
      const found = [...data.orders.entries()]
        .filter(([, o]) => Date.parse(o.createdAt ?? new Date().toISOString()) >= oldest)
        .filter(([gid, o]) =>
          matches(terms, (field) => {
            if (field === "confirmation_number") return [o.confirmationNumber ?? ""];
            if (field === "name") return [o.name, o.name.replace(/^#/, "")];
            if (field === "email") return [o.email ?? ""];
            if (field === "customer_id") return [o.customerGid?.replace(/\D/g, "") ?? ""];
            if (field === "id") return [gid.replace(/\D/g, "")];
            return null;
          }),
        )
        .sort(([, a], [, b]) => Date.parse(a.createdAt ?? "") - Date.parse(b.createdAt ?? ""))
        .map(([gid]) => fullOrderOf(gid));
      return connection(args.reverse ? found.reverse() : found, args);
    },
    customers: (args: { first?: number; after?: string; query?: string }) => {
      needs("read_customers", "customers", ["customers"]);
      const terms = parseSearch(args.query);
      const found = [...data.customers.entries()]
        .filter(([, c]) =>
          matches(terms, (field) => {
            if (field === "email") return [c.email ?? ""];
            // Shopify compares phones in E.164; the stand-in compares digits.
            if (field === "phone") return [(c.phone ?? "").replace(/\D/g, "")];
            return null;
          }),
        )
        .map(([gid]) => customerOf(gid));
      return connection(found, args);
    },
    products: (args: { first?: number; after?: string; query?: string; reverse?: boolean }) => {
      needs("read_products", "products", ["products"]);
      const terms = parseSearch(args.query);
      const found = [...data.products.entries()]
        .filter(([, p]) => matches(terms, (field) => (field === "status" ? [p.status ?? "ACTIVE"] : null)))
        .sort(([a], [b]) => (BigInt(a.replace(/\D/g, "")) < BigInt(b.replace(/\D/g, "")) ? -1 : 1))
        .map(([gid]) => fullProductOf(gid));
      return connection(args.reverse ? found.reverse() : found, args);
    },
  };
}

/** A page of a connection: `first` items after the opaque cursor `after` (Shopify's cursors are opaque too). */
function connection<T>(items: T[], args: { first?: number; after?: string }) {
  const first = args.first ?? 0;
  if (first < 1 || first > 250) throw new GraphQLError("you must provide a `first` between 1 and 250", { extensions: { code: "BAD_REQUEST" } });
  let start = 0;
  if (args.after) {
    const index = Number(
      Buffer.from(args.after, "base64url")
        .toString("utf8")
        .replace(/^standin:/, ""),
    );
    if (!Number.isInteger(index) || index < 0) throw new GraphQLError("Invalid cursor", { extensions: { code: "BAD_REQUEST" } });
    start = index + 1;
  }
  const nodes = items.slice(start, start + first);
  const last = start + nodes.length - 1;
  return {
    nodes,
    pageInfo: {
      hasNextPage: start + nodes.length < items.length,
      endCursor: nodes.length > 0 ? Buffer.from(`standin:${last}`).toString("base64url") : null,
    },
  };
}

/**
 * Shopify's search syntax, the part the app uses: `field:value` or `field:"value"` terms, ANDed, groups joined by
 * OR. A field Shopify does not know is ignored, as Shopify ignores it (the search then matches more, not less): the
 * app must check what comes back.
 */
function parseSearch(query: string | undefined): { field: string; value: string }[][] {
  if (!query || !query.trim()) return [[]];
  return query.split(/\s+OR\s+/).map((group) => {
    const terms: { field: string; value: string }[] = [];
    for (const m of group.matchAll(/(\w+):(?:"((?:[^"\\]|\\.)*)"|(\S+))/g)) {
      terms.push({ field: m[1].toLowerCase(), value: (m[2] ?? m[3]).replace(/\\(.)/g, "$1") });
    }
    return terms;
  });
}

function matches(groups: { field: string; value: string }[][], valuesOf: (field: string) => string[] | null): boolean {
  return groups.some((terms) =>
    terms.every((term) => {
      const values = valuesOf(term.field);
      if (values === null) return true;
      const wanted = term.field === "phone" ? term.value.replace(/\D/g, "") : term.value.toLowerCase();
      return values.some((v) => v !== "" && (term.field === "phone" ? v : v.toLowerCase()) === wanted);
    }),
  );
}

function pathOf(path: { prev: unknown; key: string | number } | undefined): (string | number)[] {
  const out: (string | number)[] = [];
  for (let p = path; p; p = p.prev as typeof path) out.unshift(p.key);
  return out;
}

/** How many items a list field asks for: `ids` for nodes, `first`/`last` for a connection, else one. */
function listSize(args: Record<string, unknown>): number {
  if (Array.isArray(args.ids)) return args.ids.length;
  for (const key of ["first", "last"]) if (typeof args[key] === "number") return args[key];
  return 1;
}

function argumentsOf(
  node: { arguments?: readonly { name: { value: string }; value: Parameters<typeof valueFromASTUntyped>[0] }[] },
  variables: Record<string, unknown>,
) {
  const args: Record<string, unknown> = {};
  for (const arg of node.arguments ?? []) args[arg.name.value] = valueFromASTUntyped(arg.value, variables);
  return args;
}

/** The requested cost of a selection on a type: Shopify's calculated query cost, before it runs. */
function selectionCost(
  type: GraphQLCompositeType,
  selectionSet: SelectionSetNode | undefined,
  variables: Record<string, unknown>,
  fragments: Record<string, FragmentDefinitionNode>,
): number {
  if (!selectionSet) return 0;
  const s = adminSchema();
  let fieldsCost = 0;
  // Fragments on different concrete types of an interface never apply together: the most expensive one counts.
  let fragmentCost = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith("__") || !("getFields" in type)) continue;
      const field = type.getFields()[selection.name.value];
      if (!field) continue;
      const named = getNamedType(field.type);
      if (isLeafType(named)) continue;
      // A connection costs two, plus `first` times what one of its nodes costs (Shopify's connection pricing).
      if (named.name.endsWith("Connection")) {
        const size = listSize(argumentsOf(selection, variables));
        fieldsCost += 2 + size * selectionCost(named as GraphQLCompositeType, selection.selectionSet, variables, fragments);
        continue;
      }
      const many = isListType(getNullableType(field.type)) ? listSize(argumentsOf(selection, variables)) : 1;
      fieldsCost += many * (1 + selectionCost(named as GraphQLCompositeType, selection.selectionSet, variables, fragments));
    } else {
      const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments[selection.name.value];
      if (!fragment) continue;
      const condition = fragment.typeCondition ? (s.getType(fragment.typeCondition.name.value) as GraphQLCompositeType | undefined) : type;
      const cost = selectionCost(condition ?? type, fragment.selectionSet, variables, fragments);
      if (isAbstractType(type) && condition !== type) fragmentCost = Math.max(fragmentCost, cost);
      else fieldsCost += cost;
    }
  }
  return fieldsCost + fragmentCost;
}

/** The actual cost: one for each object the answer holds. */
function resultCost(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, v) => sum + resultCost(v), 0);
  if (value && typeof value === "object") return 1 + Object.values(value).reduce((sum: number, v) => sum + resultCost(v), 0);
  return 0;
}

/** Parses and validates a request, and prices it; execute() runs it over the shop's data. */
export function prepareGraphql(
  request: { query?: unknown; variables?: unknown; operationName?: unknown },
  data: ShopData,
  scopes: ReadonlySet<string>,
): GraphqlOutcome {
  const query = typeof request.query === "string" ? request.query : "";
  const variables = request.variables && typeof request.variables === "object" ? (request.variables as Record<string, unknown>) : {};
  const operationName = typeof request.operationName === "string" ? request.operationName : undefined;
  const failed = (errors: readonly GraphQLError[], operation = "unknown"): GraphqlOutcome => ({
    operation,
    requestedCost: null,
    execute: () => ({ body: { errors: errors.map((e) => e.toJSON()) }, actualCost: 0 }),
    errorsBody: { errors: errors.map((e) => e.toJSON()) },
  });
  if (!query) return failed([new GraphQLError("No query string was present")]);
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch (error) {
    return failed([error as GraphQLError]);
  }
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  const name = operation?.name?.value ?? "anonymous";
  const errors = validate(adminSchema(), document);
  if (errors.length > 0) return failed(errors, name);
  if (!operation) return failed([new GraphQLError("An operation name is required when the document holds several operations")], name);
  if (operation.operation !== "query") return failed([new GraphQLError(`The stand-in answers queries only, not ${operation.operation}s`)], name);
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
  const queryType = adminSchema().getQueryType()!;
  const requestedCost = 1 + selectionCost(queryType, operation.selectionSet, variables, fragments);
  return {
    operation: name,
    requestedCost,
    execute() {
      const result = execute({
        schema: adminSchema(),
        document,
        variableValues: variables,
        operationName,
        rootValue: rootOf(data, scopes),
        typeResolver: (value) => (value && typeof value === "object" && "__typename" in value ? String(value.__typename) : undefined),
      });
      if ("then" in result) throw new Error("the stand-in's resolvers are synchronous");
      const body: Record<string, unknown> = {};
      if (result.errors?.length) body.errors = result.errors.map((e) => e.toJSON());
      if (result.data !== undefined) body.data = result.data;
      return { body, actualCost: result.data ? resultCost(result.data) : 0 };
    },
  };
}
