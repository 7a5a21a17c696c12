/**
 * The page's "Anchored roots" section: BatchAnchored logs of the anchor and their block times, read
 * straight from the chain, drawn as a step chart (batch over time) and a table.
 *
 * Every time on the page is UTC in one format, `2026-12-07 21:04:14 UTC` (utcTime): the chart's axis, its
 * tooltips and the table. The chart labels every batch up to 12 of them and then a round step (never a
 * label skipped between two that are shown), and anchors its first and last time label inside the plot so
 * neither is clipped.
 */
import { getBlock, getLogs } from "viem/actions";
import type { Address, Client } from "viem";
import { ANCHOR_ABI } from "../../contracts/abi.js";
import { $, el, shortDecimal, svg } from "./dom.js";

export interface AnchoredPoint {
  batch: number;
  root: string;
  block: bigint;
  tx: string;
  time: number; // unix seconds
}

/** `2026-12-07 21:04:14 UTC` */
export function utcTime(unixSeconds: number): string {
  return `${new Date(unixSeconds * 1000).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

const BATCH_ANCHORED = ANCHOR_ABI.find((item): item is Extract<(typeof ANCHOR_ABI)[number], { type: "event"; name: "BatchAnchored" }> => item.type === "event" && item.name === "BatchAnchored");
const MAX_POINTS = 200;

export async function loadHistory(client: Client, anchor: Address): Promise<AnchoredPoint[]> {
  if (BATCH_ANCHORED === undefined) throw new Error("the anchor ABI has no BatchAnchored event");
  const logs = await getLogs(client, { address: anchor, event: BATCH_ANCHORED, fromBlock: 0n, toBlock: "latest" });
  const recent = logs.slice(-MAX_POINTS);
  const blocks = [...new Set(recent.map((log) => log.blockNumber).filter((b): b is bigint => b !== null))];
  const times = new Map<bigint, number>();
  for (let i = 0; i < blocks.length; i += 16) {
    await Promise.all(
      blocks.slice(i, i + 16).map(async (blockNumber) => {
        const block = await getBlock(client, { blockNumber });
        times.set(blockNumber, Number(block.timestamp));
      }),
    );
  }
  return recent.map((log) => ({
    batch: Number(log.args.batchNumber ?? 0n),
    root: (log.args.newRoot ?? 0n).toString(),
    block: log.blockNumber ?? 0n,
    tx: log.transactionHash ?? "",
    time: times.get(log.blockNumber ?? -1n) ?? 0,
  }));
}

/** Batch numbers to label on the y axis: every one up to 12, else multiples of a round step (1, 2, 5 × 10^k). */
export function batchTicks(b0: number, b1: number): number[] {
  const span = b1 - b0;
  if (span <= 11) return Array.from({ length: span + 1 }, (_, i) => b0 + i);
  let step = 1;
  for (let k = 1; span / step > 10; k *= 10) step = [1, 2, 5].map((m) => m * k).find((s) => span / s <= 10) ?? 10 * k;
  const ticks = [b0];
  for (let b = Math.ceil((b0 + 1) / step) * step; b < b1; b += step) if (b - b0 >= step / 2 && b1 - b >= step / 2) ticks.push(b);
  ticks.push(b1);
  return ticks;
}

export function drawChart(points: AnchoredPoint[], highlighted: number | undefined): void {
  const box = $("#chart");
  if (points.length === 0) {
    box.replaceChildren(el("p", { class: "muted" }, "No batch anchored yet."));
    return;
  }
  const W = 960;
  const H = 260;
  const pad = { left: 64, right: 24, top: 16, bottom: 42 };
  const t0 = Math.min(...points.map((p) => p.time));
  const t1 = Math.max(...points.map((p) => p.time));
  const b0 = Math.min(...points.map((p) => p.batch));
  const b1 = Math.max(...points.map((p) => p.batch));
  const x = (t: number) => pad.left + (t1 === t0 ? (W - pad.left - pad.right) / 2 : ((t - t0) / (t1 - t0)) * (W - pad.left - pad.right));
  const y = (b: number) => H - pad.bottom - (b1 === b0 ? (H - pad.top - pad.bottom) / 2 : ((b - b0) / (b1 - b0)) * (H - pad.top - pad.bottom));
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `Anchored batches ${b0} to ${b1} over time (UTC)` });
  for (const b of batchTicks(b0, b1)) {
    chart.append(svg("line", { class: "grid", x1: pad.left, x2: W - pad.right, y1: y(b), y2: y(b) }), svg("text", { class: "y-label", x: pad.left - 8, y: y(b) + 4, "text-anchor": "end" }, String(b)));
  }
  chart.append(
    svg("line", { class: "axis", x1: pad.left, x2: pad.left, y1: pad.top, y2: H - pad.bottom }),
    svg("line", { class: "axis", x1: pad.left, x2: W - pad.right, y1: H - pad.bottom, y2: H - pad.bottom }),
  );
  // First label starts at the axis, last one ends at the plot's right edge: neither leaves the picture.
  const xTicks = t1 === t0 ? [t0] : t1 - t0 < 60 ? [t0, t1] : [t0, Math.round((t0 + t1) / 2), t1];
  xTicks.forEach((t, i) => {
    const anchor = xTicks.length === 1 ? "middle" : i === 0 ? "start" : i === xTicks.length - 1 ? "end" : "middle";
    chart.append(svg("text", { class: "x-label", x: x(t), y: H - pad.bottom + 16, "text-anchor": anchor }, utcTime(t)));
  });
  chart.append(
    svg("text", { x: 16, y: (pad.top + H - pad.bottom) / 2, "text-anchor": "middle", transform: `rotate(-90 16 ${(pad.top + H - pad.bottom) / 2})` }, "batch"),
    svg("text", { x: W - pad.right, y: H - 4, "text-anchor": "end" }, "block time (UTC)"),
  );
  // The series: a step line (a root holds until the next batch replaces it) and one point per batch.
  const sorted = [...points].sort((a, b) => a.batch - b.batch);
  let d = "";
  sorted.forEach((p, i) => {
    d += i === 0 ? `M${x(p.time).toFixed(1)},${y(p.batch).toFixed(1)}` : `H${x(p.time).toFixed(1)}V${y(p.batch).toFixed(1)}`;
  });
  chart.append(svg("path", { class: "series", d }));
  for (const p of sorted) {
    const current = p.batch === highlighted;
    chart.append(
      svg(
        "circle",
        { class: current ? "point current" : "point", cx: x(p.time).toFixed(1), cy: y(p.batch).toFixed(1), r: current ? 6 : 4, "data-batch": p.batch },
        svg("title", {}, `batch ${p.batch} · ${utcTime(p.time)} · root ${shortDecimal(p.root)} · tx ${p.tx}`),
      ),
    );
  }
  box.replaceChildren(chart);
}

export function drawTable(points: AnchoredPoint[], highlighted: number | undefined): void {
  $("#anchors tbody").replaceChildren(
    ...[...points]
      .sort((a, b) => b.batch - a.batch)
      .map((p) =>
        el(
          "tr",
          { "data-batch": String(p.batch), ...(p.batch === highlighted ? { class: "current" } : {}) },
          el("td", {}, String(p.batch)),
          el("td", { class: "time" }, utcTime(p.time)),
          el("td", {}, el("code", { title: p.root }, shortDecimal(p.root))),
          el("td", {}, p.block.toString()),
          el("td", {}, el("code", { class: "tx" }, p.tx)),
        ),
      ),
  );
}
