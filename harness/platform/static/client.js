/*
 * The platform's checkout script (guide step 3). It is the same on real Stripe and on the
 * Connect Lab emulator: only the Stripe.js URL and the publishable key in the page differ.
 *
 * - The card is collected by Stripe Elements, inside Stripe's iframe: this page never sees
 *   the card number.
 * - The PaymentIntent's client secret comes from the page (data-secret). It is never logged
 *   and never put in a URL.
 * - While confirming, the form is disabled and shows a spinner; a second submit does
 *   nothing. On an error the message is shown and the form is enabled again.
 */
(function () {
  'use strict';

  var form = document.getElementById('payment-form');
  if (!form) {
    return;
  }
  var stripe = Stripe(form.dataset.key);
  var clientSecret = form.dataset.secret;
  var ui = form.dataset.ui || 'card';
  var button = document.getElementById('submit');
  var spinner = document.getElementById('spinner');
  var buttonText = document.getElementById('button-text');
  var errors = document.getElementById('card-errors');
  var nameInput = document.getElementById('cardholder-name');
  var result = document.getElementById('payment-result');
  var style = {
    base: {color: '#32325d', fontSize: '16px',
           fontFamily: '"Helvetica Neue", Helvetica, Arial, sans-serif',
           '::placeholder': {color: '#aab7c4'}},
    invalid: {color: '#df1b41'}
  };

  var elements;
  var cardElement; // what confirmCardPayment reads the card from
  var mounted = [];
  var fieldErrors = {};

  function showError(message) {
    errors.textContent = message || '';
  }

  // Element change events carry validation errors; show the first one.
  function onChange(event) {
    fieldErrors[event.elementType] = event.error ? event.error.message : '';
    var first = mounted.map(function (el) { return fieldErrors[el.type]; })
      .filter(Boolean)[0];
    showError(first || '');
  }

  function mount(type, selector, options) {
    var element = elements.create(type, options);
    element.mount(selector);
    element.on('change', onChange);
    mounted.push({type: type, element: element});
    return element;
  }

  if (ui === 'payment') {
    elements = stripe.elements({clientSecret: clientSecret});
    mount('payment', '#payment-element');
  } else if (ui === 'split') {
    elements = stripe.elements();
    cardElement = mount('cardNumber', '#card-number', {style: style});
    mount('cardExpiry', '#card-expiry', {style: style});
    mount('cardCvc', '#card-cvc', {style: style});
  } else {
    elements = stripe.elements();
    cardElement = mount('card', '#card-element', {style: style});
  }

  var busy = false;

  function setBusy(on) {
    busy = on;
    button.disabled = on;
    nameInput.disabled = on;
    spinner.classList.toggle('hidden', !on);
    buttonText.classList.toggle('hidden', on);
    form.setAttribute('aria-busy', on ? 'true' : 'false');
    mounted.forEach(function (m) {
      // The card Elements take `disabled`; the Payment Element calls it `readOnly`.
      m.element.update(m.type === 'payment' ? {readOnly: on} : {disabled: on});
    });
  }

  function confirm(billingDetails) {
    if (ui === 'payment') {
      return stripe.confirmPayment({
        elements: elements,
        confirmParams: {return_url: form.dataset.returnUrl,
                        payment_method_data: {billing_details: billingDetails}},
        redirect: 'if_required'
      });
    }
    return stripe.confirmCardPayment(clientSecret, {
      payment_method: {card: cardElement, billing_details: billingDetails}
    });
  }

  function showSuccess(paymentIntent) {
    // The payment went through, but the booking is confirmed by the webhook, not here:
    // the renter could close this tab before any code below runs.
    form.hidden = true;
    result.hidden = false;
    var link = document.getElementById('success-link');
    link.href = form.dataset.successUrl + '?payment_intent=' +
      encodeURIComponent(paymentIntent.id);
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    if (busy) {
      return; // already confirming: a double click must not pay twice
    }
    var name = nameInput.value.trim();
    if (!name) {
      showError('Please enter the name on the card.');
      nameInput.focus();
      return;
    }
    setBusy(true);
    showError('');
    confirm({name: name}).then(function (outcome) {
      if (outcome.error) {
        showError(outcome.error.message);
        setBusy(false);
        return;
      }
      var status = outcome.paymentIntent.status;
      if (status === 'succeeded' || status === 'processing' || status === 'requires_capture') {
        showSuccess(outcome.paymentIntent);
      } else {
        showError('The payment was not completed (status: ' + status + '). Please try again.');
        setBusy(false);
      }
    }, function () {
      showError('Something went wrong while contacting Stripe. Please try again.');
      setBusy(false);
    });
  });
})();
