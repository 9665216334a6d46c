// Launch set-up: one box per building ticks or clears every available unit of that building.
(function () {
  function unitsOf(building) {
    return document.querySelectorAll('input[name="unit_ids"][data-building="' + building + '"]');
  }
  function sync(building) {
    const all = document.querySelector('input[data-select-all="' + building + '"]');
    if (!all) return;
    const boxes = Array.prototype.slice.call(unitsOf(building));
    const ticked = boxes.filter(function (box) { return box.checked; }).length;
    all.checked = boxes.length > 0 && ticked === boxes.length;
    all.indeterminate = ticked > 0 && ticked < boxes.length;
  }
  document.addEventListener("change", function (event) {
    const target = event.target;
    if (target.matches("input[data-select-all]")) {
      unitsOf(target.dataset.selectAll).forEach(function (box) { box.checked = target.checked; });
    } else if (target.matches('input[name="unit_ids"]')) {
      sync(target.dataset.building);
    }
  });
  document.querySelectorAll("input[data-select-all]").forEach(function (all) { sync(all.dataset.selectAll); });
})();
