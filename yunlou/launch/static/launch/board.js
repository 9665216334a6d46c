// Launch board and big screen: when the live grid script (live/launch-grid.js) fires `unit-changed` on the
// grid container, each cell's colour and label follow its data-status and the figures are recounted from the
// cells, the same way the server counted them (sold = subscribed or signed; sell-through = sold ÷ offered).
(function () {
  const grid = document.querySelector("[data-launch-grid]");
  if (!grid) return;
  let labels = {};
  try { labels = JSON.parse(grid.dataset.labels || "{}"); } catch (error) { labels = {}; }
  const sold = (grid.dataset.soldStatuses || "subscribed signed").split(" ");
  const held = grid.dataset.heldStatus || "held";

  function wan(fen) {
    const yuan = fen / 100;
    if (yuan >= 100000000) return (yuan / 100000000).toFixed(2) + "亿";
    return (yuan / 10000).toFixed(1) + "万";
  }
  function put(name, text) {
    document.querySelectorAll('[data-figure="' + name + '"]').forEach(function (node) { node.textContent = text; });
  }

  function recount() {
    const counts = {};
    let soldCount = 0, amount = 0, offered = 0;
    grid.querySelectorAll("[data-unit]").forEach(function (cell) {
      const status = cell.dataset.status;
      offered += 1;
      counts[status] = (counts[status] || 0) + 1;
      Array.prototype.slice.call(cell.classList).forEach(function (name) {
        if (name.indexOf("s-") === 0 && name !== "s-" + status) cell.classList.remove(name);
      });
      cell.classList.add("s-" + status);
      const label = cell.querySelector("[data-status-label]");
      if (label && labels[status]) label.textContent = labels[status];
      if (sold.indexOf(status) !== -1) {
        soldCount += 1;
        amount += parseInt(cell.dataset.price || "0", 10) || 0;
      }
    });
    put("sold", String(soldCount));
    put("offered", String(offered));
    put("held", String(counts[held] || 0));
    put("sell-through", (offered ? (soldCount / offered) * 100 : 0).toFixed(1) + "%");
    put("amount", wan(amount));
    document.querySelectorAll("[data-count-status]").forEach(function (node) {
      node.textContent = String(counts[node.dataset.countStatus] || 0);
    });
  }

  grid.addEventListener("unit-changed", recount);

  const clock = document.querySelector("[data-clock]");
  if (clock) {
    const tick = function () {
      clock.textContent = new Date().toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit", timeZone: "Asia/Shanghai" });
    };
    tick();
    setInterval(tick, 15000);
  }
})();
