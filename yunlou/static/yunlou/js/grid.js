// Sales control grid: a manager taps a cell, changes its status in a dialog, and the grid reloads.
(function () {
  const dialog = document.getElementById("unit-dialog");
  if (!dialog) return;

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-close-dialog]")) {
      dialog.close();
      return;
    }
    const link = event.target.closest("a[data-unit-dialog]");
    if (!link || !window.htmx) return;
    event.preventDefault();
    htmx.ajax("GET", link.href, { target: "#unit-dialog-body" }).then(function () {
      dialog.showModal();
    });
  });

  document.body.addEventListener("grid-changed", function () {
    dialog.close();
    htmx.ajax("GET", window.location.href, { target: "#grid", swap: "outerHTML" });
  });
})();
