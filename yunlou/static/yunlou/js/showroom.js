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
      // Full images load only when the viewer opens; the browser then picks a rendition from srcset.
      track.querySelectorAll("[data-srcset]").forEach(function (element) {
        element.srcset = element.dataset.srcset;
        element.removeAttribute("data-srcset");
      });
      track.querySelectorAll("img[data-src]").forEach(function (img) {
        img.src = img.dataset.src;
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

// Forms with [data-live-errors] (the consultation form): an error shown under a field — by the server, or in a
// fragment htmx brought (the SMS code status) — goes away as soon as that field holds something acceptable: it
// passes the field's own constraints (required, pattern, min/max, maxlength) and is no longer the value the
// server refused. The server still decides when the form is sent.
(function () {
  "use strict";

  function described(input) {
    return (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
  }

  function markErrors(root) {
    root.querySelectorAll("[data-live-errors] [aria-invalid='true']").forEach(function (input) {
      if (!("refused" in input.dataset)) input.dataset.refused = input.value;
    });
    root.querySelectorAll("[data-error-for]").forEach(function (error) {
      const input = document.getElementById(error.dataset.errorFor);
      if (!input) return;
      input.setAttribute("aria-invalid", "true");
      if (!("refused" in input.dataset)) input.dataset.refused = input.value;
      if (error.id && described(input).indexOf(error.id) < 0) {
        input.setAttribute("aria-describedby", described(input).concat(error.id).join(" "));
      }
    });
  }

  function clearError(input) {
    const gone = [];
    document.querySelectorAll("[data-error-for='" + input.id + "']").forEach(function (error) {
      if (error.id) gone.push(error.id);
      error.remove();
    });
    input.removeAttribute("aria-invalid");
    delete input.dataset.refused;
    const rest = described(input).filter(function (id) { return gone.indexOf(id) < 0; });
    if (rest.length) input.setAttribute("aria-describedby", rest.join(" "));
    else input.removeAttribute("aria-describedby");
    const summary = input.form && input.form.querySelector("[data-error-summary]");
    if (summary) {
      summary.querySelectorAll("[data-summary-for='" + input.id + "']").forEach(function (item) { item.remove(); });
      if (!summary.querySelector("li")) summary.remove();
    }
  }

  function onEdit(event) {
    const input = event.target;
    if (!input.matches || !input.matches("[aria-invalid='true']") || !input.closest("[data-live-errors]")) return;
    if (input.value !== input.dataset.refused && input.checkValidity()) clearError(input);
  }

  document.addEventListener("input", onEdit);
  document.addEventListener("change", onEdit);
  document.body.addEventListener("htmx:afterSwap", function () { markErrors(document); });
  markErrors(document);
})();
