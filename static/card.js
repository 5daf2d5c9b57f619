// The card step with Stripe.js: the card number is typed into Stripe's own
// iframe and goes to Stripe only (PCI DSS SAQ A). Whatever the outcome, the
// browser then goes to the return page, which shows what the server has
// confirmed with Stripe, never what this script believes.
(function () {
  "use strict";
  var box = document.getElementById("card");
  var button = document.getElementById("card-pay");
  var errors = document.getElementById("card-errors");
  if (!box || !button || typeof Stripe !== "function") {
    return;
  }
  var stripe = Stripe(box.dataset.key);
  var card = stripe.elements({ locale: document.documentElement.lang || "el" }).create("card");
  card.mount(box);
  button.addEventListener("click", function () {
    button.disabled = true;
    stripe.confirmCardPayment(box.dataset.secret, { payment_method: { card: card } }).then(function (result) {
      if (result.error && result.error.type === "validation_error") {
        errors.textContent = result.error.message;
        button.disabled = false;
        return;
      }
      window.location.assign(box.dataset.return);
    });
  });
})();
