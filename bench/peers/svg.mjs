// The picture of one scenario: for each client, the requests the server
// received per second (split into those answered 429, those sent into the
// outage, and the others) and the calls that succeeded per second, on one
// time axis and one value axis, with the server's capacity and the outage
// window marked. Plain SVG, no dependency.

const COLOURS = {
  refused: "#e17055",
  outage: "#fdcb6e",
  other: "#8395a7",
  ok: "#00b894",
  band: "#fbeecb",
  capacity: "#2d3436",
  text: "#2d3436",
  muted: "#636e72",
  grid: "#e8ecef",
};

const WIDTH = 980;
const LEFT = 200;
const RIGHT = 24;
const PLOT_W = WIDTH - LEFT - RIGHT;
const PANEL_H = 64;
const PANEL_GAP = 14;

const esc = (t) => String(t).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** 1, 2 or 5 times a power of ten, at or above `raw`. */
function niceStep(raw) {
  if (!(raw > 0)) return 1;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

/**
 * `runs`: [{ name, timeline: [{ requests, rateLimited, outage }] per second,
 * okPerSecond: [n] }]; `capacity`: requests per second the server allows;
 * `outages`: [[fromMs, toMs]].
 */
export function timelineSvg({ title, subtitle, runs, capacity, outages }) {
  const seconds = Math.max(1, ...runs.map((r) => Math.max(r.timeline.length, r.okPerSecond.length)));
  const xStep = Math.max(1, niceStep(seconds / 12));
  const xEnd = Math.ceil(seconds / xStep) * xStep;
  const x = (s) => LEFT + (PLOT_W * Math.min(s, xEnd)) / xEnd;
  // One value axis for every panel, clipped at four times the capacity so
  // that a flood does not flatten everyone else; a clipped bar is labelled.
  const peak = Math.max(capacity, ...runs.flatMap((r) => [...r.timeline.map((t) => t.requests), ...r.okPerSecond]));
  const yMax0 = Math.min(peak, capacity * 4);
  const yStep = niceStep(yMax0 / 3);
  const yMax = Math.ceil(yMax0 / yStep) * yStep;

  // The subtitle, wrapped at about 150 characters.
  const sub = [""];
  for (const word of subtitle.split(" ")) {
    if (sub.at(-1).length + word.length > 150) sub.push("");
    sub[sub.length - 1] += (sub.at(-1) ? " " : "") + word;
  }
  const dy = 14 * (sub.length - 1);
  const top = 92 + dy;
  const height = top + runs.length * (PANEL_H + PANEL_GAP) + 40;
  const svg = [];
  svg.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="bold" fill="${COLOURS.text}">${esc(title)}</text>`,
    ...sub.map((line, i) => `<text x="12" y="${40 + 14 * i}" font-size="11" fill="${COLOURS.muted}">${esc(line)}</text>`),
  );
  // The legend.
  const legend = [
    ["rect", COLOURS.refused, "answered 429"],
    ["rect", COLOURS.outage, "sent into the outage (503)"],
    ["rect", COLOURS.other, "other requests"],
    ["line", COLOURS.ok, "calls that succeeded"],
    ["dash", COLOURS.capacity, `server capacity (${capacity}/s)`],
    ["band", COLOURS.band, "outage window"],
  ];
  let lx = 12;
  for (const [kind, colour, label] of legend) {
    if (kind === "rect" || kind === "band") {
      svg.push(`<rect x="${lx}" y="${54 + dy}" width="12" height="12" fill="${colour}"${kind === "band" ? ' stroke="#e6d3a3"' : ""}/>`);
    } else {
      svg.push(
        `<line x1="${lx}" y1="${60 + dy}" x2="${lx + 14}" y2="${60 + dy}" stroke="${colour}" stroke-width="2"${kind === "dash" ? ' stroke-dasharray="4 3"' : ""}/>`,
      );
    }
    svg.push(`<text x="${lx + 18}" y="${64 + dy}" font-size="11" fill="${COLOURS.text}">${esc(label)}</text>`);
    lx += 26 + label.length * 6.1;
  }
  svg.push(`<text x="12" y="${82 + dy}" font-size="10" fill="${COLOURS.muted}">value axis: requests (bars) and successful calls (line) per second of the run, shared by every panel${peak > yMax ? `, clipped at ${yMax} (▲ marks a clipped bar, with its value)` : ""}</text>`);

  runs.forEach((run, k) => {
    const y0 = top + k * (PANEL_H + PANEL_GAP);
    const y = (v) => y0 + PANEL_H - (PANEL_H * Math.min(v, yMax)) / yMax;
    svg.push(`<rect x="${LEFT}" y="${y0}" width="${PLOT_W}" height="${PANEL_H}" fill="#fff" stroke="${COLOURS.grid}"/>`);
    for (const [a, b] of outages) {
      svg.push(`<rect x="${x(a / 1000).toFixed(1)}" y="${y0}" width="${(x(b / 1000) - x(a / 1000)).toFixed(1)}" height="${PANEL_H}" fill="${COLOURS.band}"/>`);
    }
    for (let v = yStep; v <= yMax; v += yStep) {
      svg.push(`<line x1="${LEFT}" y1="${y(v).toFixed(1)}" x2="${LEFT + PLOT_W}" y2="${y(v).toFixed(1)}" stroke="${COLOURS.grid}"/>`);
    }
    for (let t = xStep; t < xEnd; t += xStep) {
      svg.push(`<line x1="${x(t).toFixed(1)}" y1="${y0}" x2="${x(t).toFixed(1)}" y2="${y0 + PANEL_H}" stroke="${COLOURS.grid}"/>`);
    }
    // Bars: refused at the bottom, then outage, then the others.
    const w = Math.max(1, PLOT_W / xEnd - 1);
    run.timeline.forEach((t, s) => {
      let base = 0;
      for (const [n, colour] of [
        [t.rateLimited, COLOURS.refused],
        [t.outage, COLOURS.outage],
        [t.requests - t.rateLimited - t.outage, COLOURS.other],
      ]) {
        if (n <= 0 || base >= yMax) {
          base += n;
          continue;
        }
        const top1 = y(base + n);
        svg.push(`<rect x="${(x(s) + 0.5).toFixed(1)}" y="${top1.toFixed(1)}" width="${w.toFixed(1)}" height="${(y(base) - top1).toFixed(1)}" fill="${colour}"/>`);
        base += n;
      }
      if (t.requests > yMax) {
        svg.push(`<text x="${(x(s) + w / 2).toFixed(1)}" y="${y0 + 9}" font-size="8" text-anchor="middle" fill="${COLOURS.text}">▲${t.requests}</text>`);
      }
    });
    // Successes per second: a line through the middle of each second.
    const pts = [];
    for (let s = 0; s < seconds; s++) pts.push(`${(x(s) + 0.5 + w / 2).toFixed(1)},${y(run.okPerSecond[s] ?? 0).toFixed(1)}`);
    svg.push(`<polyline points="${pts.join(" ")}" fill="none" stroke="${COLOURS.ok}" stroke-width="2"/>`);
    // Capacity.
    svg.push(
      `<line x1="${LEFT}" y1="${y(capacity).toFixed(1)}" x2="${LEFT + PLOT_W}" y2="${y(capacity).toFixed(1)}" stroke="${COLOURS.capacity}" stroke-dasharray="4 3"/>`,
    );
    // Axes and labels.
    svg.push(`<text x="${LEFT - 28}" y="${y0 + PANEL_H / 2 + 4}" font-size="12" font-weight="bold" text-anchor="end" fill="${COLOURS.text}">${esc(run.name)}</text>`);
    svg.push(`<line x1="${LEFT}" y1="${y0}" x2="${LEFT}" y2="${y0 + PANEL_H}" stroke="#888"/>`);
    for (let v = 0; v <= yMax; v += yStep) {
      svg.push(`<text x="${LEFT - 5}" y="${(y(v) + 3.5).toFixed(1)}" font-size="9" text-anchor="end" fill="${COLOURS.muted}">${v}</text>`);
    }
    svg.push(`<line x1="${LEFT}" y1="${y0 + PANEL_H}" x2="${LEFT + PLOT_W}" y2="${y0 + PANEL_H}" stroke="#888"/>`);
  });
  // The time axis under the last panel.
  const yAxis = top + runs.length * (PANEL_H + PANEL_GAP) - PANEL_GAP;
  for (let t = 0; t <= xEnd; t += xStep) {
    svg.push(
      `<line x1="${x(t).toFixed(1)}" y1="${yAxis}" x2="${x(t).toFixed(1)}" y2="${yAxis + 4}" stroke="#888"/>`,
      `<text x="${x(t).toFixed(1)}" y="${yAxis + 15}" font-size="10" text-anchor="middle" fill="${COLOURS.muted}">${t} s</text>`,
    );
  }
  svg.push(`<text x="${LEFT + PLOT_W / 2}" y="${yAxis + 30}" font-size="11" text-anchor="middle" fill="${COLOURS.text}">seconds since the run's start</text>`);
  svg.push("</svg>");
  return `${svg.join("\n")}\n`;
}
