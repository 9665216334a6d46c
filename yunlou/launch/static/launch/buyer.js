// The buyer's launch pages: countdowns synced to the server's clock, favourites (☆), one-tap selection with the
// answer at once, and the signature pad of the subscription form. No inline script (CSP script-src 'self').
(function () {
  "use strict";

  function csrfToken() {
    const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function api(method, url, body) {
    return fetch(url, {
      method: method, credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken()},
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (response) {
      return response.text().then(function (text) {
        return {status: response.status, body: text ? JSON.parse(text) : null};
      });
    });
  }

  function twoDigits(n) { return (n < 10 ? "0" : "") + n; }

  function formatSpan(ms) {
    const total = Math.max(0, Math.ceil(ms / 1000));
    const hours = Math.floor(total / 3600), minutes = Math.floor(total % 3600 / 60), seconds = total % 60;
    return (hours ? hours + ":" : "") + twoDigits(minutes) + ":" + twoDigits(seconds);
  }

  // Countdowns: the page carries the server's time when it was rendered; the offset to this phone's clock is
  // applied to every tick, so a phone whose clock is wrong still opens at the right second.
  function countdown(element, onStart) {
    const offset = Date.parse(element.dataset.serverTime) - Date.now();
    const startsAt = element.dataset.startsAt ? Date.parse(element.dataset.startsAt) : null;
    const endsAt = Date.parse(element.dataset.endsAt);
    const label = element.querySelector(".countdown-label"), time = element.querySelector(".countdown-time");
    let started = startsAt === null || element.dataset.rehearsing === "1" || Date.now() + offset >= startsAt;
    function tick() {
      const now = Date.now() + offset;
      if (startsAt !== null && now < startsAt && element.dataset.rehearsing !== "1") {
        label.textContent = element.dataset.labelBefore;
        time.textContent = formatSpan(startsAt - now);
      } else if (now < endsAt) {
        if (!started) { started = true; if (onStart) onStart(); }
        label.textContent = element.dataset.labelOpen;
        time.textContent = formatSpan(endsAt - now);
      } else {
        label.textContent = element.dataset.labelEnded;
        time.textContent = "";
        element.dataset.ended = "1";
        return;
      }
      setTimeout(tick, 1000 - (now % 1000) + 5);
    }
    tick();
  }

  function launchGrid(grid) {
    const result = document.querySelector("[data-testid=select-result]");
    const labels = JSON.parse(grid.dataset.labels || "{}");
    let favourites = Array.from(grid.querySelectorAll("[data-rank]"))
      .sort(function (a, b) { return a.dataset.rank - b.dataset.rank; })
      .map(function (cell) { return Number(cell.dataset.unit); });

    function setStatus(cell, status) {
      cell.dataset.status = status;
      cell.className = cell.className.replace(/\bs-\S+/, "s-" + status);
      const label = cell.querySelector(".status-label");
      if (label && labels[status]) label.textContent = labels[status];
    }

    function drawStars() {
      grid.querySelectorAll(".launch-cell").forEach(function (cell) {
        const rank = favourites.indexOf(Number(cell.dataset.unit)) + 1;
        cell.querySelector(".star").textContent = rank ? "★" + rank : "☆";
        if (rank) cell.dataset.rank = rank; else delete cell.dataset.rank;
      });
    }

    function loadTokens() {
      return api("GET", grid.dataset.unitsUrl).then(function (answer) {
        if (answer.status !== 200) return;
        answer.body.forEach(function (unit) {
          const cell = grid.querySelector('[data-unit="' + unit.unit_id + '"]');
          if (!cell) return;
          if (unit.token) cell.dataset.token = unit.token;
          setStatus(cell, unit.status);
        });
        grid.dataset.maySelect = answer.body.some(function (unit) { return unit.token; }) ? "1" : "0";
        const hint = document.querySelector("[data-favourites-hint]");
        if (hint && grid.dataset.maySelect === "1") hint.hidden = true;
      });
    }

    function show(html) {
      result.innerHTML = html;
      result.hidden = false;
      result.scrollIntoView({block: "nearest", behavior: "smooth"});
    }
    function escapeText(text) { const span = document.createElement("span"); span.textContent = text; return span.innerHTML; }

    function select(token) {
      return api("POST", grid.dataset.selectUrl, {token: token}).then(function (answer) {
        if (answer.status === 201) {
          const order = answer.body;
          const cell = grid.querySelector('[data-unit="' + order.unit_id + '"]');
          if (cell) setStatus(cell, "held");
          show('<p class="done" data-outcome="held">' + escapeText(grid.dataset.textHeld) + " <b>" + escapeText(order.unit) +
               '</b></p><a class="button primary" data-testid="confirm-order" href="' + grid.dataset.orderUrl + order.id + '/">' +
               escapeText(grid.dataset.textConfirm) + "</a>");
        } else if (answer.status === 409 && answer.body.code === "taken") {
          const next = answer.body.details && answer.body.details.next;
          let html = '<p class="error" data-outcome="taken">' + escapeText(answer.body.message) + "</p>";
          if (next) {
            html += "<p>" + escapeText(grid.dataset.textNext) + " <b>" + escapeText(next.code) + "</b></p>" +
              '<button type="button" class="button" data-testid="select-next" data-next-token="' + escapeText(next.token) + '">' +
              escapeText(grid.dataset.textSelect) + " " + escapeText(next.code) + "</button>";
          }
          show(html);
        } else {
          show('<p class="error" data-outcome="refused">' + escapeText(answer.body && answer.body.message || grid.dataset.textError) + "</p>");
        }
      }, function () { show('<p class="error">' + escapeText(grid.dataset.textError) + "</p>"); });
    }

    grid.addEventListener("click", function (event) {
      const cell = event.target.closest(".launch-cell");
      if (!cell || grid.dataset.pledged !== "1") return;
      if (grid.dataset.maySelect === "1" && cell.dataset.token) {
        if (cell.dataset.status === "available") select(cell.dataset.token);
        return;
      }
      const id = Number(cell.dataset.unit), at = favourites.indexOf(id);
      if (at >= 0) favourites.splice(at, 1); else favourites.push(id);
      drawStars();
      api("PUT", grid.dataset.favouritesUrl, {unit_ids: favourites});
    });
    result.addEventListener("click", function (event) {
      const button = event.target.closest("[data-next-token]");
      if (button) select(button.dataset.nextToken);
    });
    grid.addEventListener("unit-changed", function (event) {
      const cell = event.detail && grid.querySelector('[data-unit="' + event.detail.unit + '"]');
      if (cell) setStatus(cell, event.detail.status);
    });
    return {loadTokens: loadTokens};
  }

  function signaturePad(form) {
    const canvas = form.querySelector("canvas.signature-pad");
    if (!canvas || !window.SignaturePad) return;
    const ratio = Math.max(window.devicePixelRatio || 1, 1);
    canvas.width = canvas.offsetWidth * ratio;
    canvas.height = canvas.offsetHeight * ratio;
    canvas.getContext("2d").scale(ratio, ratio);
    const pad = new window.SignaturePad(canvas, {penColor: "#111", minWidth: 1, maxWidth: 2.6});
    form.querySelector("[data-signature-clear]").addEventListener("click", function () { pad.clear(); });
    form.addEventListener("submit", function (event) {
      const submit = form.querySelector("[type=submit]");
      if (pad.isEmpty()) { event.preventDefault(); alert(submit.dataset.emptyMessage); return; }
      form.querySelector("input[name=signature]").value = pad.toDataURL("image/png");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    const grid = document.getElementById("launch-grid");
    const controls = grid ? launchGrid(grid) : null;
    document.querySelectorAll(".countdown").forEach(function (element) {
      countdown(element, controls ? controls.loadTokens : null);
    });
    document.querySelectorAll(".signature-form").forEach(signaturePad);
  });
})();
