/* The record page: instruments open and close with their checkbox, and the body map.
 * Everything here is a convenience on top of a form that works without it: the checkbox list
 * under the figure is the real field, and "Update scores without saving" refreshes the scores.
 */
(function () {
  "use strict";

  var form = document.getElementById("record-form");
  if (!form) {
    return;
  }

  // --- instruments: a ticked instrument is open; typing in one ticks it -----------------------
  function choiceFor(code) {
    return form.querySelector('input[name="instruments"][type="checkbox"][value="' + code + '"]');
  }

  form.querySelectorAll('input[name="instruments"][type="checkbox"]').forEach(function (box) {
    box.addEventListener("change", function () {
      var section = document.getElementById("instrument-" + box.value);
      if (section) {
        section.open = box.checked;
      }
    });
  });

  form.querySelectorAll("details.instrument").forEach(function (section) {
    section.addEventListener("input", function () {
      var box = choiceFor(section.dataset.instrument);
      if (box && !box.checked && !box.disabled) {
        box.checked = true;
        box.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  });

  // The live scores are a fragment; badges beside each instrument's heading mirror them.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "live-scores") {
      mirrorBadges();
    }
  });

  function mirrorBadges() {
    form.querySelectorAll(".instrument-badge").forEach(function (badge) {
      badge.textContent = "";
    });
    document.querySelectorAll("#live-scores .live-score").forEach(function (line) {
      var badge = document.getElementById("badge-" + line.dataset.instrument);
      var total = line.querySelector("[data-testid^='total-']");
      var band = line.querySelector(".band");
      if (badge && total) {
        badge.textContent = total.textContent + (band ? " · " + band.textContent : "");
      }
    });
  }
  mirrorBadges();

  // --- the body map ---------------------------------------------------------------------------
  var map = form.querySelector(".bodymap[data-interactive]");
  var worst = form.querySelector('select[name="worst_region"]');
  var chosen = document.getElementById("bodymap-chosen");
  if (!map || !worst) {
    return;
  }

  // One tab stop for the whole figure (a roving tabindex): arrows move between regions, so
  // Tab does not walk through 52 of them. Without this script the figure is a picture and the
  // checkbox list does the work.
  var regions = Array.prototype.slice.call(map.querySelectorAll("[data-region]"));
  regions.forEach(function (region, index) {
    region.setAttribute("role", "checkbox");
    region.setAttribute("tabindex", index === 0 ? "0" : "-1");
  });

  function focusRegion(index) {
    var target = regions[(index + regions.length) % regions.length];
    regions.forEach(function (region) {
      region.setAttribute("tabindex", region === target ? "0" : "-1");
    });
    target.focus();
  }

  function checkbox(key) {
    return form.querySelector('input[name="body_map_regions"][value="' + key + '"]');
  }

  function render() {
    var names = [];
    map.querySelectorAll("[data-region]").forEach(function (region) {
      var key = region.dataset.region;
      var box = checkbox(key);
      var on = Boolean(box && box.checked);
      var isWorst = worst.value === key;
      region.classList.toggle("is-selected", on);
      region.classList.toggle("is-worst", isWorst);
      region.setAttribute("aria-checked", on ? "true" : "false");
      region.setAttribute("aria-label", region.dataset.label + (isWorst ? " (worst)" : ""));
      if (on) {
        names.push(region.dataset.label + (isWorst ? " — worst" : ""));
      }
    });
    if (chosen) {
      chosen.textContent = names.length ? names.join("; ") : "";
    }
  }

  function changed(element) {
    element.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function toggle(key) {
    var box = checkbox(key);
    if (!box) {
      return;
    }
    box.checked = !box.checked;
    if (!box.checked && worst.value === key) {
      worst.value = "";
    }
    changed(box);
    render();
  }

  function markWorst(key) {
    var box = checkbox(key);
    if (!box) {
      return;
    }
    box.checked = true;
    worst.value = worst.value === key ? "" : key;
    changed(worst);
    render();
  }

  map.addEventListener("click", function (event) {
    var region = event.target.closest("[data-region]");
    if (!region) {
      return;
    }
    regions.forEach(function (other) {
      other.setAttribute("tabindex", other === region ? "0" : "-1");
    });
    if (event.shiftKey) {
      markWorst(region.dataset.region);
    } else {
      toggle(region.dataset.region);
    }
  });

  map.addEventListener("keydown", function (event) {
    var region = event.target.closest("[data-region]");
    if (!region) {
      return;
    }
    var index = regions.indexOf(region);
    if (event.key === " " || event.key === "Enter") {
      event.preventDefault();
      toggle(region.dataset.region);
    } else if (event.key === "w" || event.key === "W") {
      event.preventDefault();
      markWorst(region.dataset.region);
    } else if (event.key === "ArrowRight" || event.key === "ArrowDown") {
      event.preventDefault();
      focusRegion(index + 1);
    } else if (event.key === "ArrowLeft" || event.key === "ArrowUp") {
      event.preventDefault();
      focusRegion(index - 1);
    } else if (event.key === "Home" || event.key === "End") {
      event.preventDefault();
      focusRegion(event.key === "Home" ? 0 : regions.length - 1);
    }
  });

  form.addEventListener("change", function (event) {
    if (event.target === worst && worst.value) {
      var box = checkbox(worst.value);
      if (box) {
        box.checked = true;
      }
    }
    if (event.target === worst || event.target.name === "body_map_regions") {
      render();
    }
  });

  render();
})();
