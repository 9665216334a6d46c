// Live unit statuses on a launch grid (the buyer's selection grid, the managers' big screen).
//
//   <div data-live-grid
//        data-events-url="/live/launches/7/events" data-state-url="/live/launches/7/state"
//        data-version="42" data-labels='{"available": "可售", "held": "已锁定", …}' [data-rehearsal]>
//     <button data-unit="1234" data-status="available">3-1201 <span data-status-label>可售</span></button>
//
// Each change arrives as a server-sent event {unit, status, at, seq} (or {reset: true}: fetch everything).
// The cell [data-unit=<id>] gets data-status and its [data-status-label] the label; the container then
// dispatches "unit-changed" {unit, status, previous, seq}. When EventSource is refused (no event server, an old
// proxy), the page polls the state URL every 3 s instead; while the stream is up it still checks the state
// every 30 s (a 204 when nothing changed), so a change whose message was lost shows up all the same.
// `data-version` is the version the HTML was rendered at, so nothing between rendering and connecting is missed.

const POLL_MILLISECONDS = 3000;
const CHECK_MILLISECONDS = 30000;

export function liveGrid(container) {
  const labels = JSON.parse(container.dataset.labels || "{}");
  const rehearsal = container.hasAttribute("data-rehearsal");
  const stateUrl = new URL(container.dataset.stateUrl, document.baseURI);
  let version = parseInt(container.dataset.version, 10);
  let source = null;
  let timer = null;
  let fetching = false;

  function setStatus(unit, status, seq) {
    const cell = container.querySelector(`[data-unit="${unit}"]`);
    if (!cell || cell.dataset.status === status) return;
    const previous = cell.dataset.status;
    cell.dataset.status = status;
    const label = labels[status] || status;
    const text = cell.querySelector("[data-status-label]");
    if (text) text.textContent = label;
    else cell.title = label;
    container.dispatchEvent(new CustomEvent("unit-changed", {
      bubbles: true, detail: { unit, status, previous, seq },
    }));
  }

  async function fetchState() {
    if (fetching) return;
    fetching = true;
    try {
      const url = new URL(stateUrl);
      if (Number.isInteger(version)) url.searchParams.set("since", version);
      if (rehearsal) url.searchParams.set("rehearsal", "1");
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.status !== 200) return; // 204: nothing changed
      const state = await response.json();
      for (const [unit, status] of Object.entries(state.units)) setStatus(Number(unit), status, state.version);
      version = state.version;
    } catch (error) {
      // offline for a moment: the next tick tries again
    } finally {
      fetching = false;
    }
  }

  function onMessage(event) {
    let change;
    try { change = JSON.parse(event.data); } catch (error) { return; }
    const ours = Boolean(change.rehearsal) === rehearsal;
    // A reset from the server (its stream lost what we missed) names no grid: it is for every page.
    if (change.reset) {
      if (ours || !change.rehearsal) { version = undefined; fetchState(); }
      return;
    }
    if (Number.isInteger(version) && change.seq <= version) return; // already in the state we hold
    if (ours && Number.isInteger(change.unit) && typeof change.status === "string") {
      setStatus(change.unit, change.status, change.seq);
    }
    version = change.seq; // the other grid's changes move the launch's version too
  }

  function every(milliseconds) {
    clearInterval(timer);
    timer = setInterval(() => { if (!document.hidden) fetchState(); }, milliseconds);
  }

  function poll() {
    if (source) { source.close(); source = null; }
    every(POLL_MILLISECONDS);
    fetchState();
  }

  function connect() {
    if (!("EventSource" in window) || !container.dataset.eventsUrl) return poll();
    const url = new URL(container.dataset.eventsUrl, document.baseURI);
    if (Number.isInteger(version)) url.searchParams.set("since", version);
    source = new EventSource(url);
    source.onmessage = onMessage;
    source.onopen = () => {
      every(CHECK_MILLISECONDS);
      if (!Number.isInteger(version)) fetchState(); // rendered without a version: take the whole state once
    };
    // EventSource retries by itself after a dropped connection (sending Last-Event-ID); CLOSED means it was
    // refused (an error status, not an event stream), so poll instead.
    source.onerror = () => { if (source && source.readyState === EventSource.CLOSED) poll(); };
  }

  document.addEventListener("visibilitychange", () => { if (!document.hidden) fetchState(); });
  connect();
  return {
    close() { clearInterval(timer); if (source) source.close(); },
    refresh: fetchState,
  };
}

for (const container of document.querySelectorAll("[data-live-grid]")) liveGrid(container);
