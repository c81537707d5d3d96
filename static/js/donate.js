// The donation form, made plain: typing an amount selects "Other", choosing a preset clears
// the typed amount, and the button says what will be charged for a preset, with the fee
// cover worked out on it (the labels come from the server, which owns the fee arithmetic). Once sent, the button says to wait: at a
// surge the server may wait out Stripe's rate limit before it opens the payment page, and
// a second press would only reopen the same session. The form works the same without it.
(function () {
  "use strict";
  var form = document.querySelector("form.donate");
  var labels = document.getElementById("give-labels");
  if (!form || !labels) return;
  labels = JSON.parse(labels.textContent);
  var typed = form.querySelector("[name=custom_amount]");
  var button = form.querySelector("#give");
  var generic = button.textContent;
  var note = document.getElementById("fee-note");

  function checked(name) {
    var input = form.querySelector("[name=" + name + "]:checked");
    return input ? input.value : "";
  }

  function update() {
    if (form.getAttribute("aria-busy") === "true") return;
    var preset = labels[checked("amount_choice")];
    var cover = form.querySelector("[name=cover_fees]").checked ? "_cover" : "";
    var frequency = checked("frequency") || "once";
    var label = preset ? preset[frequency + cover] : generic;
    if (preset && note) note.textContent = preset.fee_example;
    // Only a real change touches the button: replacing its text while it is being
    // pressed (a field's change event fires as it loses focus) would swallow the click.
    if (button.textContent !== label) button.textContent = label;
  }

  typed.addEventListener("input", function () {
    if (typed.value.trim()) {
      var other = form.querySelector("[name=amount_choice][value=custom]");
      if (other) other.checked = true;
    }
    update();
  });
  form.addEventListener("change", function (event) {
    var name = event.target.name;
    if (name === "amount_choice" && event.target.value !== "custom") typed.value = "";
    if (name === "amount_choice" || name === "frequency" || name === "cover_fees") update();
  });
  form.addEventListener("submit", function (event) {
    if (form.getAttribute("aria-busy") === "true") {
      event.preventDefault();
      return;
    }
    form.setAttribute("aria-busy", "true");
    button.textContent = form.dataset.wait;
  });
  // Coming back to the page from the payment page (the browser's back button) shows the
  // form as it was, not waiting.
  window.addEventListener("pageshow", function () {
    form.removeAttribute("aria-busy");
    update();
  });
  update();
})();
