// StockGuard panel — a small stock chart drawn as inline SVG (no library, nothing fetched):
// dated x axis, units y axis, the stock history as a polyline, the forecast as a dashed
// polyline, the reorder point as a horizontal line and the projected stockout day marked.
// Everything is built with createElementNS / setAttribute / textContent (no markup strings).
(function () {
  "use strict";
  const NS = "http://www.w3.org/2000/svg";
  const H = 260;
  const M = { left: 48, right: 16, top: 14, bottom: 30 };
  const DAY = 86400000;

  function node(tag, attrs, text) {
    const n = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (k) {
      n.setAttribute(k, String(attrs[k]));
    });
    if (text != null) n.textContent = String(text);
    return n;
  }
  function day(iso) {
    return Date.parse(iso + "T00:00:00Z") / DAY;
  }
  // Up to ~5 round steps (1, 2, 5 × 10^n) from 0 to at least max.
  function ticks(max) {
    if (!(max > 0)) return [0, 1];
    const raw = max / 4;
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map(function (m) { return m * power; }).find(function (s) { return s >= raw; });
    const out = [];
    for (let v = 0; v < max + step; v += step) {
      out.push(Math.round(v * 1e6) / 1e6);
      if (v >= max) break;
    }
    return out;
  }

  // draw(container, {history: [{date, on_hand}], forecast: [{date, on_hand}], reorderPoint,
  // stockoutOn, lang, title}) replaces the container's content with the chart; the <svg>.
  function draw(container, data) {
    // Drawn at the box's own width, so its text stays legible on a phone.
    const W = Math.max(300, Math.round(container.clientWidth || 640));
    const history = data.history || [];
    const forecast = data.forecast || [];
    const points = history.concat(forecast);
    const lang = data.lang || "en";
    const svg = node("svg", {
      viewBox: "0 0 " + W + " " + H,
      width: "100%",
      role: "img",
      class: "sg-chart",
      "data-test": "stock-chart",
      preserveAspectRatio: "xMidYMid meet",
    });
    if (data.title) {
      svg.appendChild(node("title", {}, data.title));
      svg.setAttribute("aria-label", data.title);
    }
    container.replaceChildren(svg);
    if (!points.length) return svg;

    const x0 = day(points[0].date);
    let x1 = points.reduce(function (m, p) { return Math.max(m, day(p.date)); }, x0);
    if (x1 === x0) x1 = x0 + 1;
    const top = Math.max(
      data.reorderPoint || 0,
      points.reduce(function (m, p) { return Math.max(m, p.on_hand || 0); }, 0)
    );
    const yTicks = ticks(top);
    const yMax = yTicks[yTicks.length - 1] || 1;
    const plotW = W - M.left - M.right;
    const plotH = H - M.top - M.bottom;
    function x(iso) {
      return M.left + ((day(iso) - x0) / (x1 - x0)) * plotW;
    }
    function y(v) {
      return M.top + plotH - (Math.max(0, v) / yMax) * plotH;
    }
    function line(list) {
      return list.map(function (p) {
        return x(p.date).toFixed(1) + "," + y(p.on_hand).toFixed(1);
      }).join(" ");
    }

    // Axes: units at the left with a light grid, dates along the bottom.
    const axes = node("g", { class: "sg-chart-axes", "font-size": "11", fill: "#616161" });
    yTicks.forEach(function (v) {
      axes.appendChild(node("line", { x1: M.left, x2: W - M.right, y1: y(v), y2: y(v), stroke: "#e3e3e3" }));
      axes.appendChild(node("text", { x: M.left - 6, y: y(v) + 4, "text-anchor": "end" }, new Intl.NumberFormat(lang).format(v)));
    });
    const fmt = new Intl.DateTimeFormat(lang, { day: "numeric", month: "short", timeZone: "UTC" });
    const count = W < 520 ? 3 : 6;
    for (let i = 0; i <= count; i++) {
      const d = x0 + Math.round(((x1 - x0) * i) / count);
      const iso = new Date(d * DAY).toISOString().slice(0, 10);
      const px = x(iso);
      axes.appendChild(node("line", { x1: px, x2: px, y1: M.top + plotH, y2: M.top + plotH + 4, stroke: "#616161" }));
      axes.appendChild(node("text", { x: px, y: H - 10, "text-anchor": i === 0 ? "start" : i === count ? "end" : "middle", "data-date": iso }, fmt.format(new Date(d * DAY))));
    }
    axes.appendChild(node("line", { x1: M.left, x2: M.left, y1: M.top, y2: M.top + plotH, stroke: "#616161" }));
    axes.appendChild(node("line", { x1: M.left, x2: W - M.right, y1: M.top + plotH, y2: M.top + plotH, stroke: "#616161" }));
    svg.appendChild(axes);

    if (data.reorderPoint) {
      svg.appendChild(node("line", {
        class: "sg-chart-reorder", "data-test": "chart-reorder",
        x1: M.left, x2: W - M.right, y1: y(data.reorderPoint), y2: y(data.reorderPoint),
        stroke: "#b25e00", "stroke-width": 1.5, "stroke-dasharray": "2 3",
      }));
    }
    if (history.length) {
      svg.appendChild(node("polyline", {
        class: "sg-chart-history", "data-test": "chart-history", points: line(history),
        fill: "none", stroke: "#1a1a1a", "stroke-width": 2, "stroke-linejoin": "round",
      }));
    }
    if (forecast.length) {
      svg.appendChild(node("polyline", {
        class: "sg-chart-forecast", "data-test": "chart-forecast", points: line(forecast),
        fill: "none", stroke: "#2c6ecb", "stroke-width": 2, "stroke-dasharray": "6 4",
      }));
    }
    if (data.stockoutOn && day(data.stockoutOn) >= x0 && day(data.stockoutOn) <= x1) {
      const px = x(data.stockoutOn);
      svg.appendChild(node("line", {
        class: "sg-chart-stockout", "data-test": "chart-stockout",
        x1: px, x2: px, y1: M.top, y2: M.top + plotH, stroke: "#b3261e", "stroke-dasharray": "4 3",
      }));
    }
    return svg;
  }

  window.StockGuardChart = { draw: draw, ticks: ticks };
})();
