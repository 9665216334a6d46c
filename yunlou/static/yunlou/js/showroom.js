// Showroom behaviour: dialogs, the full-screen gallery, the SMS code button's countdown, copy-to-clipboard.
(function () {
  "use strict";

  function openDialog(dialog) {
    if (dialog && !dialog.open) dialog.showModal();
  }

  document.addEventListener("click", function (event) {
    const opener = event.target.closest("[data-open-dialog]");
    if (opener) {
      openDialog(document.getElementById(opener.dataset.openDialog));
      return;
    }
    const closer = event.target.closest("[data-close-dialog]");
    if (closer) {
      closer.closest("dialog").close();
      return;
    }
    const item = event.target.closest("[data-gallery-index]");
    if (item) {
      const viewer = document.getElementById("gallery-viewer");
      const track = viewer.querySelector("[data-viewer-track]");
      track.querySelectorAll("img[data-src]").forEach(function (img) {
        img.src = img.dataset.src; // full images load only when the viewer opens
        img.removeAttribute("data-src");
      });
      openDialog(viewer);
      const figure = track.children[Number(item.dataset.galleryIndex)];
      track.scrollTo({ left: figure.offsetLeft, behavior: "instant" });
      return;
    }
    const copy = event.target.closest("[data-copy]");
    if (copy && navigator.clipboard) {
      navigator.clipboard.writeText(copy.dataset.copy).then(function () {
        copy.textContent = copy.dataset.copied || "✓";
      });
    }
  });

  // After a code is sent, the button waits 60 s before it may ask again (the server enforces it too).
  document.body.addEventListener("htmx:afterRequest", function (event) {
    const button = event.detail.elt;
    if (!button.matches || !button.matches("[data-code-button]") || !event.detail.successful) return;
    const label = button.textContent;
    let seconds = 60;
    button.disabled = true;
    const timer = setInterval(function () {
      seconds -= 1;
      button.textContent = seconds + "s";
      if (seconds <= 0) {
        clearInterval(timer);
        button.disabled = false;
        button.textContent = label;
      }
    }, 1000);
  });
})();
