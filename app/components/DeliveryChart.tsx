import { BlockStack, InlineStack, Text } from "@shopify/polaris";
import { useId } from "react";
import { formatDay, formatNumber, useI18n } from "../i18n/i18n";

export interface ChartDay {
  day: number;
  delivered: number;
  failed: number;
}

const HEIGHT = 150;
const LABEL_SPACE = 20;
const GROUP = 44;
const BAR = 15;
/** Room above the tallest bar for its value. */
const TOP = 14;

/** Hidden from sight, not from screen readers. */
const VISUALLY_HIDDEN = {
  position: "absolute",
  width: 1,
  height: 1,
  padding: 0,
  margin: -1,
  overflow: "hidden",
  clip: "rect(0 0 0 0)",
  whiteSpace: "nowrap",
  border: 0,
} as const;

const DELIVERED_FILL = "var(--p-color-bg-fill-success, #29845a)";
const FAILED_FILL = "var(--p-color-bg-fill-critical, #e51c00)";

function Swatch({ color }: { color: string }) {
  return <span aria-hidden="true" style={{ display: "inline-block", width: 12, height: 12, borderRadius: 3, background: color }} />;
}

/**
 * Delivered and failed pushes per day as paired bars, in plain SVG with a fixed height (no layout shift).
 * Screen readers get a title, a summary and the numbers as a table.
 */
export function DeliveryChart({ days }: { days: ChartDay[] }) {
  const { t } = useI18n();
  const titleId = useId();
  const descId = useId();
  const max = Math.max(1, ...days.map((d) => Math.max(d.delivered, d.failed)));
  const plot = HEIGHT - LABEL_SPACE;
  const width = days.length * GROUP;
  const totalDelivered = days.reduce((n, d) => n + d.delivered, 0);
  const totalFailed = days.reduce((n, d) => n + d.failed, 0);
  const barHeight = (n: number) => (n === 0 ? 0 : Math.max(2, Math.round((n / max) * (plot - TOP))));

  return (
    <BlockStack gap="200">
      <InlineStack gap="400" blockAlign="center">
        <InlineStack gap="100" blockAlign="center">
          <Swatch color={DELIVERED_FILL} />
          <Text as="span" variant="bodySm">
            {t("chart.delivered")}
          </Text>
        </InlineStack>
        <InlineStack gap="100" blockAlign="center">
          <Swatch color={FAILED_FILL} />
          <Text as="span" variant="bodySm">
            {t("chart.failed")}
          </Text>
        </InlineStack>
      </InlineStack>
      <svg
        role="img"
        aria-labelledby={`${titleId} ${descId}`}
        viewBox={`0 0 ${width} ${HEIGHT}`}
        style={{ display: "block", width: "100%", height: "auto", aspectRatio: `${width} / ${HEIGHT}` }}
      >
        <title id={titleId}>{t("chart.title", { days: days.length })}</title>
        <desc id={descId}>{t("chart.summary", { delivered: formatNumber(totalDelivered), failed: formatNumber(totalFailed) })}</desc>
        <line x1={0} x2={width} y1={plot} y2={plot} stroke="var(--p-color-border, #e3e3e3)" strokeWidth={1} />
        <line x1={0} x2={width} y1={TOP} y2={TOP} stroke="var(--p-color-border-secondary, #ebebeb)" strokeWidth={1} strokeDasharray="3 3" />
        <text x={2} y={TOP - 3} fontSize={9} fill="var(--p-color-text-secondary, #616161)" aria-hidden="true">
          {formatNumber(max)}
        </text>
        {days.map((d, i) => {
          const x = i * GROUP + (GROUP - 2 * BAR - 2) / 2;
          const hd = barHeight(d.delivered);
          const hf = barHeight(d.failed);
          return (
            <g key={d.day}>
              <rect x={x} y={plot - hd} width={BAR} height={hd} rx={2} fill={DELIVERED_FILL}>
                <title>{`${formatDay(d.day)}: ${t("chart.delivered")} ${d.delivered}`}</title>
              </rect>
              <rect x={x + BAR + 2} y={plot - hf} width={BAR} height={hf} rx={2} fill={FAILED_FILL}>
                <title>{`${formatDay(d.day)}: ${t("chart.failed")} ${d.failed}`}</title>
              </rect>
              {(i % 2 === days.length % 2 || i === days.length - 1) && (
                <text x={i * GROUP + GROUP / 2} y={HEIGHT - 4} textAnchor="middle" fontSize={10} fill="var(--p-color-text-secondary, #616161)">
                  {formatDay(d.day)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <div style={VISUALLY_HIDDEN}>
        <table>
          <caption>{t("chart.title", { days: days.length })}</caption>
          <thead>
            <tr>
              <th scope="col">{t("chart.day")}</th>
              <th scope="col">{t("chart.delivered")}</th>
              <th scope="col">{t("chart.failed")}</th>
            </tr>
          </thead>
          <tbody>
            {days.map((d) => (
              <tr key={d.day}>
                <th scope="row">{formatDay(d.day)}</th>
                <td>{d.delivered}</td>
                <td>{d.failed}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </BlockStack>
  );
}
