/*
 * Connect Lab: an offline stand-in for Stripe.js v3, served by the emulator at /v3/.
 *
 * Code written from https://docs.stripe.com/js runs on it unchanged:
 *   Stripe(publishableKey, {stripeAccount, apiVersion, locale, betas})
 *   stripe.elements({clientSecret} | {mode, amount, currency, ...}) -> Elements:
 *     create(type, options) for every Element type Stripe.js documents, getElement, update,
 *     fetchUpdates, submit, on/off/once('update-end')
 *   element.mount / unmount / destroy / update / focus / blur / clear / collapse / getValue /
 *     on / off / once
 *   stripe.confirmPayment, confirmCardPayment, retrievePaymentIntent, confirmSetup,
 *     confirmCardSetup, retrieveSetupIntent, handleNextAction, handleCardAction,
 *     createPaymentMethod, createToken (card Elements), paymentRequest
 *
 * The card Elements and the Payment Element are real: their inputs live in iframes served by
 * the emulator's origin (/v3/elements-inner.html), which validate the card and create the
 * PaymentMethod; this script, in the platform's page, only sends them instructions by
 * postMessage, so card numbers stay inside the iframes. Every other Element type (Link,
 * Address, Express Checkout, messaging, bank and Issuing Elements...) has nothing to do
 * offline: it mounts an inert box that says so in its visible text, fires `ready` (and
 * `change` where the docs show one), and accepts every documented call without throwing.
 * A documented Stripe.js method the emulator does not model answers with an error naming it;
 * an unknown one throws an IntegrationError naming it. Everything is authenticated with the
 * publishable key and the intent's client secret, never with a secret key.
 */
(function () {
  'use strict';

  if (window.Stripe && window.Stripe.__connectLab) {
    return;
  }

  var SCRIPT = document.currentScript;
  // Where this script was served from: the emulator's origin (API, for postMessage) and its
  // base URL (BASE, the origin plus any path prefix, as behind a Jupyter server's proxy at
  // /user/<name>/proxy/<port>/). Every emulator URL below is built from BASE.
  var SOURCE = new URL(SCRIPT ? SCRIPT.src : '/v3/', window.location.href);
  var API = SOURCE.origin;
  var BASE = API + SOURCE.pathname.replace(/\/v3\/.*$/, '');
  var TAG = 'connect-lab-stripe-js';
  var STAND_IN = 'the Connect Lab Stripe.js stand-in';
  var AUTH_FAILED =
    'We are unable to authenticate your payment method. ' +
    'Please choose a different payment method and try again.';
  // Elements with inputs in our iframes; the split card Elements share one PaymentMethod.
  var FRAMED = ['card', 'cardNumber', 'cardExpiry', 'cardCvc', 'payment'];
  var SPLIT = ['cardNumber', 'cardExpiry', 'cardCvc'];
  // Every other Element type Stripe.js documents (https://docs.stripe.com/js/element and
  // https://docs.stripe.com/js/elements_object/create_element; the bank Elements idealBank,
  // fpxBank, epsBank, p24Bank and the affirm/afterpay messages are the older ones still in
  // the reference), with what it would do on Stripe and why it does nothing here.
  var INERT = {
    linkAuthentication: ['Link Authentication Element',
      'Link is not available offline; enter the card in the Payment Element.'],
    contactDetails: ['Contact Details Element',
      'Link is not available offline; pass the email in billing_details.'],
    address: ['Address Element',
      'no address is typed here; its defaultValues are passed on when you confirm.'],
    shippingAddress: ['Shipping Address Element',
      'no address is typed here; its defaultValues are passed on when you confirm.'],
    expressCheckout: ['Express Checkout Element',
      'no wallet (Apple Pay, Google Pay, Link, PayPal) exists offline, so no button is shown.'],
    paymentRequestButton: ['Payment Request Button',
      'no browser wallet exists offline, so no button is shown.'],
    paymentMethodMessaging: ['Payment Method Messaging Element',
      'no buy-now-pay-later offers are shown offline.'],
    affirmMessage: ['Affirm message', 'no buy-now-pay-later offers are shown offline.'],
    afterpayClearpayMessage: ['Afterpay / Clearpay message',
      'no buy-now-pay-later offers are shown offline.'],
    iban: ['IBAN Element', 'the emulator models card payments only.'],
    idealBank: ['iDEAL Bank Element', 'the emulator models card payments only.'],
    auBankAccount: ['AU BECS Bank Account Element', 'the emulator models card payments only.'],
    fpxBank: ['FPX Bank Element', 'the emulator models card payments only.'],
    epsBank: ['EPS Bank Element', 'the emulator models card payments only.'],
    p24Bank: ['Przelewy24 Bank Element', 'the emulator models card payments only.'],
    currencySelector: ['Currency Selector Element', 'prices stay in the intent\'s currency.'],
    taxId: ['Tax ID Element', 'no tax ID is collected here.'],
    terms: ['Terms Element', 'no payment-method terms are shown offline.'],
    paymentForm: ['Payment Form Element', 'use the Payment Element instead.'],
    issuingCardNumberDisplay: ['Issuing card number', 'Issuing is not modelled.'],
    issuingCardCvcDisplay: ['Issuing card CVC', 'Issuing is not modelled.'],
    issuingCardExpiryDisplay: ['Issuing card expiry', 'Issuing is not modelled.'],
    issuingCardPinDisplay: ['Issuing card PIN', 'Issuing is not modelled.'],
    issuingCardCopyButton: ['Issuing copy button', 'Issuing is not modelled.'],
    issuingAddToWalletButton: ['Issuing add-to-wallet button', 'Issuing is not modelled.']
  };
  // Documented Stripe methods the emulator has nothing behind (other payment method types,
  // sources, hosted flows, Identity, Financial Connections): each answers
  // {error} naming itself, so a page that shows `error.message` shows why.
  var NOT_MODELLED = [
    'createSource', 'retrieveSource', 'redirectToCheckout',
    'initEmbeddedCheckout', 'initCheckout', 'createConfirmationToken', 'createRadarSession',
    'verifyIdentity', 'collectFinancialConnectionsAccounts', 'collectBankAccountToken',
    'collectBankAccountForPayment', 'collectBankAccountForSetup',
    'verifyMicrodepositsForPayment', 'verifyMicrodepositsForSetup', 'createEphemeralKeyNonce',
    'handleCardSetup', 'handleCardPayment', 'confirmPaymentIntent', 'confirmSetupIntent',
    'retrieveOrder', 'processOrder'
  ].concat(['AcssDebit', 'Affirm', 'AfterpayClearpay', 'Alipay', 'AuBecsDebit', 'Bancontact',
            'Blik', 'Boleto', 'Cashapp', 'CustomerBalance', 'Eps', 'Fpx', 'Giropay', 'GrabPay',
            'Ideal', 'KlarnaPayment', 'Konbini', 'Mobilepay', 'Multibanco', 'Oxxo', 'P24',
            'PayNow', 'PayPal', 'Pix', 'PromptPay', 'SepaDebit', 'Sofort', 'Twint',
            'UsBankAccount', 'WechatPay']
    .map(function (name) { return 'confirm' + name + 'Payment'; }))
    .concat(['AcssDebit', 'AuBecsDebit', 'BacsDebit', 'Bancontact', 'Cashapp', 'Ideal',
             'PayPal', 'SepaDebit', 'Sofort', 'UsBankAccount']
    .map(function (name) { return 'confirm' + name + 'Setup'; }));
  // Names code reads off any object without meaning a Stripe method (a Promise resolving
  // with the Stripe object asks for `then`): never answered by the unknown-method guard.
  var NOT_METHODS = ['then', 'catch', 'finally', 'toJSON', 'toString', 'valueOf',
                     'constructor', 'inspect', 'nodeType', 'tagName', 'length', 'prototype',
                     'asymmetricMatch', 'hasOwnProperty'];
  var KINDS = {
    payment_intent: {path: '/v1/payment_intents/', prefix: 'pi', key: 'paymentIntent',
                     lastError: 'last_payment_error', name: 'PaymentIntent',
                     authCode: 'payment_intent_authentication_failure',
                     success: ['succeeded', 'processing', 'requires_capture']},
    setup_intent: {path: '/v1/setup_intents/', prefix: 'seti', key: 'setupIntent',
                   lastError: 'last_setup_error', name: 'SetupIntent',
                   authCode: 'setup_intent_authentication_failure',
                   success: ['succeeded', 'processing']}
  };
  var counter = 0;

  function uid(prefix) {
    counter += 1;
    return prefix + counter + Math.random().toString(36).slice(2, 10);
  }

  function IntegrationError(message) {
    var error = new Error(message);
    error.name = 'IntegrationError';
    return error;
  }

  function notModelled(call) {
    var message = call + ' is not modelled by ' + STAND_IN + ' (the offline emulator ' +
      'handles card payments and card setups only). On real Stripe it works as ' +
      'https://docs.stripe.com/js documents.';
    if (window.console) {
      window.console.error('[Connect Lab] ' + message);
    }
    return {type: 'invalid_request_error', message: message};
  }

  // -- the API, over CORS ------------------------------------------------------------------
  function encode(value, prefix, out) {
    if (value === undefined || value === null) {
      return out;
    }
    if (Array.isArray(value)) {
      value.forEach(function (item, i) {
        encode(item, prefix + '[' + i + ']', out);
      });
    } else if (typeof value === 'object') {
      Object.keys(value).forEach(function (key) {
        encode(value[key], prefix ? prefix + '[' + key + ']' : key, out);
      });
    } else {
      out.push(encodeURIComponent(prefix) + '=' + encodeURIComponent(String(value)));
    }
    return out;
  }

  function request(stripe, method, path, params) {
    var headers = {Authorization: 'Bearer ' + stripe._key};
    if (stripe._account) {
      headers['Stripe-Account'] = stripe._account;
    }
    if (stripe._apiVersion) {
      headers['Stripe-Version'] = stripe._apiVersion;
    }
    var query = encode(params || {}, '', []).join('&');
    var url = BASE + path;
    // same-origin: no cookies to the emulator on its own origin; behind a Jupyter proxy the
    // page and the API share the Jupyter origin, whose login cookie the proxy needs.
    var init = {method: method, headers: headers, mode: 'cors', credentials: 'same-origin',
                cache: 'no-store'};
    if (method === 'GET') {
      url += query ? '?' + query : '';
    } else {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      init.body = query;
    }
    return fetch(url, init).then(function (response) {
      return response.json();
    }).catch(function () {
      return {error: {type: 'api_connection_error',
                      message: 'Could not reach Stripe (the Connect Lab emulator at ' + BASE +
                               '). Is it still running?'}};
    });
  }

  // The intent a client secret belongs to: {kind, id}. `kinds` lists those the call takes.
  function intentOf(clientSecret, method, kinds) {
    var match = typeof clientSecret === 'string' &&
      /^((pi|seti)_[A-Za-z0-9]+)_secret_[A-Za-z0-9]+$/.exec(clientSecret);
    var kind = match && (match[2] === 'pi' ? 'payment_intent' : 'setup_intent');
    if (!match || kinds.indexOf(kind) < 0) {
      var wanted = kinds.map(function (k) {
        return 'the ' + KINDS[k].name + "'s client secret (" + KINDS[k].prefix +
          '_..._secret_...)';
      }).join(' or ');
      throw IntegrationError('Invalid value for ' + method + ': clientSecret must be ' +
                             wanted + '.');
    }
    return {kind: kind, id: match[1]};
  }

  // -- messages from our iframes ------------------------------------------------------------
  var frames = new Map(); // iframe.contentWindow -> handler(data)

  window.addEventListener('message', function (event) {
    if (event.origin !== API || !event.data || event.data.source !== TAG) {
      return;
    }
    var handler = frames.get(event.source);
    if (handler) {
      handler(event.data);
    }
  });

  // -- events, for Elements and the Elements group alike --------------------------------------
  function Emitter() {}

  Emitter.prototype._emit = function (name, payload) {
    (this._handlers[name] || []).slice().forEach(function (entry) {
      try {
        entry.handler(payload);
      } finally {
        if (entry.once) {
          entry.remove();
        }
      }
    });
  };

  Emitter.prototype.on = function (name, handler) {
    var list = this._handlers[name] = this._handlers[name] || [];
    var entry = {handler: handler, once: false};
    entry.remove = function () {
      var i = list.indexOf(entry);
      if (i >= 0) {
        list.splice(i, 1);
      }
    };
    list.push(entry);
    return this;
  };

  Emitter.prototype.once = function (name, handler) {
    this.on(name, handler);
    var list = this._handlers[name];
    list[list.length - 1].once = true;
    return this;
  };

  Emitter.prototype.off = function (name, handler) {
    var list = this._handlers[name] || [];
    this._handlers[name] = handler ? list.filter(function (e) { return e.handler !== handler; })
                                   : [];
    return this;
  };

  // -- Element ------------------------------------------------------------------------------
  function Element(group, type, options) {
    this._group = group;
    this._type = type;
    this._inert = FRAMED.indexOf(type) < 0;
    this._options = Object.assign({}, options || {});
    this._handlers = {};
    this._pending = {};
    this._outbox = [];
    this._iframe = null;
    this._wrapper = null;
    this._container = null;
    this._ready = false;
    this._destroyed = false;
    this._state = {empty: true, complete: false, error: undefined};
  }

  Element.prototype = Object.create(Emitter.prototype);
  Element.prototype.constructor = Element;

  Element.prototype.mount = function (target) {
    if (this._destroyed) {
      throw IntegrationError('This Element has been destroyed; create a new one to mount.');
    }
    if (this._wrapper) {
      throw IntegrationError('This Element is already mounted; unmount() it first.');
    }
    var container = typeof target === 'string' ? document.querySelector(target) : target;
    if (!container || !container.appendChild) {
      throw IntegrationError('element.mount(): ' + String(target) + ' matches no element ' +
                             'on the page. Mount after the container exists.');
    }
    if (this._inert) {
      this._mountInert(container);
    } else {
      this._mountFrame(container);
    }
    container.classList.add('StripeElement');
    this._container = container;
    this._classes();
  };

  Element.prototype._mountFrame = function (container) {
    var self = this;
    var id = uid('');
    var wrapper = document.createElement('div');
    wrapper.className = '__PrivateStripeElement';
    wrapper.style.cssText = 'margin:0;padding:0;border:none;display:block;background:transparent;' +
      'position:relative;opacity:1;';
    var iframe = document.createElement('iframe');
    iframe.name = '__privateStripeFrame' + id;
    iframe.title = this._type === 'payment' ? 'Secure payment input frame'
                                            : 'Secure card payment input frame';
    iframe.setAttribute('frameborder', '0');
    iframe.setAttribute('allowtransparency', 'true');
    iframe.setAttribute('scrolling', 'no');
    iframe.setAttribute('role', 'presentation');
    iframe.style.cssText = 'border:none;margin:0;padding:0;width:1px;min-width:100%;' +
      'overflow:hidden;display:block;user-select:none;height:' +
      (this._type === 'payment' ? '260px' : '24px') + ';';
    var hash = new URLSearchParams({type: this._type, group: this._group._id, id: id});
    iframe.src = BASE + '/v3/elements-inner.html#' + hash.toString();
    iframe.addEventListener('load', function () {
      var stripe = self._group._stripe;
      self._post({type: 'init', key: stripe._key, stripeAccount: stripe._account || null,
                  apiVersion: stripe._apiVersion || null, elementType: self._type,
                  options: self._options});
    });
    wrapper.appendChild(iframe);
    container.appendChild(wrapper);
    this._iframe = iframe;
    this._wrapper = wrapper;
    frames.set(iframe.contentWindow, function (data) {
      self._receive(data);
    });
  };

  // An Element the emulator has nothing behind: a visible note saying so, then `ready`
  // (and the `change` its docs show) on the next turn, as a real Element reports once drawn.
  Element.prototype._mountInert = function (container) {
    var self = this;
    var about = INERT[this._type];
    var box = document.createElement('div');
    box.className = '__PrivateStripeElement __ConnectLabInertElement';
    box.setAttribute('data-element-type', this._type);
    box.setAttribute('role', 'note');
    box.style.cssText = 'margin:0;padding:8px 10px;display:block;border:1px dashed #c0c8d2;' +
      'border-radius:5px;background:#f6f8fa;color:#4f566b;' +
      'font:13px/1.4 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,sans-serif;';
    box.textContent = about[0] + ' (Connect Lab emulator: not modelled offline): ' + about[1];
    container.appendChild(box);
    this._wrapper = box;
    var mounted = box;
    setTimeout(function () {
      if (self._wrapper !== mounted) {
        return; // unmounted before it was drawn
      }
      self._ready = true;
      var ready = {elementType: self._type};
      if (self._type === 'expressCheckout') {
        // https://docs.stripe.com/js/element/events/on_ready: undefined when no payment
        // method is available, which offline is always.
        ready.availablePaymentMethods = undefined;
      }
      self._emit('ready', ready);
      var change = self._inertChange();
      if (change) {
        self._state = change;
        self._classes();
        self._emit('change', change);
      }
    }, 0);
  };

  // The documented `change` payload of the Elements that have one, from their defaultValues
  // (https://docs.stripe.com/js/element/events/on_change?type=addressElement and
  // ?type=linkAuthenticationElement). Null for the others.
  Element.prototype._inertChange = function () {
    var defaults = this._options.defaultValues || {};
    if (this._type === 'linkAuthentication') {
      var email = defaults.email || '';
      return {elementType: this._type, empty: !email, complete: /.+@.+\..+/.test(email),
              value: {email: email}};
    }
    if (this._type === 'address' || this._type === 'shippingAddress') {
      var value = this._addressValue();
      var address = value.address;
      return {elementType: this._type, elementMode: this._mode(), isNewAddress: false,
              empty: !value.name && !address.line1 && !address.city && !address.postal_code,
              complete: !!(value.name && address.line1 && address.city && address.country),
              value: value};
    }
    return null;
  };

  Element.prototype._mode = function () {
    return this._type === 'shippingAddress' ? 'shipping' : this._options.mode || 'shipping';
  };

  Element.prototype._addressValue = function () {
    var defaults = this._options.defaultValues || {};
    var given = defaults.address || {};
    var address = {};
    ['line1', 'line2', 'city', 'state', 'postal_code', 'country'].forEach(function (key) {
      address[key] = given[key] || (key === 'line2' || key === 'state' ? null : '');
    });
    var value = {name: defaults.name ||
                 [defaults.firstName, defaults.lastName].filter(Boolean).join(' '),
                 address: address};
    if (defaults.phone) {
      value.phone = defaults.phone;
    }
    return value;
  };

  Element.prototype._post = function (message) {
    if (!this._iframe || !this._iframe.contentWindow) {
      return;
    }
    message.source = TAG;
    this._iframe.contentWindow.postMessage(message, API);
  };

  Element.prototype._send = function (message) {
    if (this._inert) {
      return;
    }
    if (this._ready) {
      this._post(message);
    } else {
      this._outbox.push(message);
    }
  };

  Element.prototype._call = function (type, payload) {
    var self = this;
    if (!this._iframe) {
      return Promise.resolve({error: {type: 'validation_error', code: 'element_not_mounted',
                                      message: 'The ' + this._type + ' Element is not mounted.'}});
    }
    return new Promise(function (resolve) {
      var requestId = uid('req');
      self._pending[requestId] = resolve;
      self._send(Object.assign({type: type, requestId: requestId}, payload || {}));
    });
  };

  Element.prototype._receive = function (data) {
    switch (data.type) {
      case 'ready':
        this._ready = true;
        var outbox = this._outbox;
        this._outbox = [];
        outbox.forEach(this._post, this);
        this._emit('ready', {elementType: this._type});
        break;
      case 'change':
        this._state = data.event;
        this._classes();
        this._emit('change', data.event);
        break;
      case 'focus':
      case 'blur':
        this._focused = data.type === 'focus';
        this._classes();
        this._emit(data.type, {elementType: this._type});
        break;
      case 'resize':
        if (this._iframe && data.height) {
          this._iframe.style.height = data.height + 'px';
        }
        break;
      case 'response':
        var resolve = this._pending[data.requestId];
        delete this._pending[data.requestId];
        if (resolve) {
          resolve(data.result);
        }
        break;
      default:
        break;
    }
  };

  Element.prototype._classes = function () {
    var c = this._container;
    if (!c) {
      return;
    }
    c.classList.toggle('StripeElement--empty', !!this._state.empty);
    c.classList.toggle('StripeElement--complete', !!this._state.complete);
    c.classList.toggle('StripeElement--invalid', !!this._state.error);
    c.classList.toggle('StripeElement--focus', !!this._focused);
  };

  Element.prototype.update = function (options) {
    Object.assign(this._options, options || {});
    this._send({type: 'update', options: options || {}});
  };

  Element.prototype.focus = function () { this._send({type: 'focus'}); };
  Element.prototype.blur = function () { this._send({type: 'blur'}); };
  Element.prototype.clear = function () { this._send({type: 'clear'}); };
  // The Payment Element's accordion collapses (https://docs.stripe.com/js/element/other_methods
  // /collapse); ours has one open card form, so there is nothing to fold.
  Element.prototype.collapse = function () { return this; };

  // https://docs.stripe.com/js/elements_object/get_value_address_element
  Element.prototype.getValue = function () {
    if (this._type !== 'address' && this._type !== 'shippingAddress') {
      return Promise.reject(IntegrationError('element.getValue() is documented for the ' +
                                             'Address Element only, not ' + this._type + '.'));
    }
    var change = this._inertChange();
    return Promise.resolve({complete: change.complete, isNewAddress: false,
                            value: change.value});
  };

  Element.prototype.unmount = function () {
    if (!this._wrapper) {
      return;
    }
    if (this._iframe) {
      frames.delete(this._iframe.contentWindow);
    }
    this._wrapper.remove();
    this._container.classList.remove('StripeElement', 'StripeElement--empty',
                                     'StripeElement--complete', 'StripeElement--invalid',
                                     'StripeElement--focus');
    this._iframe = this._wrapper = this._container = null;
    this._ready = false;
  };

  Element.prototype.destroy = function () {
    this.unmount();
    this._destroyed = true;
    var group = this._group._elements;
    Object.keys(group).forEach(function (key) {
      if (group[key] === this) {
        delete group[key];
      }
    }, this);
  };

  // -- Elements (a group of Elements sharing one form) ----------------------------------------
  function Elements(stripe, options) {
    this._stripe = stripe;
    this._options = Object.assign({}, options || {});
    this._id = uid('grp');
    this._elements = {};
    this._handlers = {};
    this._submitted = false;
    var mode = this._options.mode;
    if (mode !== undefined && ['payment', 'setup', 'subscription'].indexOf(mode) < 0) {
      throw IntegrationError('stripe.elements(): mode must be "payment", "setup" or ' +
                             '"subscription", not "' + mode + '".');
    }
  }

  Elements.prototype = Object.create(Emitter.prototype);
  Elements.prototype.constructor = Elements;

  // Address Elements are kept one per mode (getElement('address', {mode})); others by type.
  function slot(type, options) {
    if (type === 'address') {
      return 'address:' + ((options && options.mode) || 'shipping');
    }
    return type;
  }

  Elements.prototype.create = function (type, options) {
    if (FRAMED.indexOf(type) < 0 && !INERT[type]) {
      throw IntegrationError('elements.create(): "' + type + '" is not an Element type ' +
                             'Stripe.js documents (https://docs.stripe.com/js/element).');
    }
    var key = slot(type, options);
    if (this._elements[key]) {
      throw IntegrationError('Can only create one Element of type ' + type + ' per elements().');
    }
    if ((type === 'card' && SPLIT.some(function (t) { return this._elements[t]; }, this)) ||
        (SPLIT.indexOf(type) >= 0 && this._elements.card)) {
      throw IntegrationError('Use either the card Element or the split card Elements ' +
                             '(cardNumber, cardExpiry, cardCvc) in one elements() group.');
    }
    if (type === 'payment' && !this._options.clientSecret && !this._options.mode) {
      throw IntegrationError('The Payment Element needs stripe.elements({clientSecret}) or ' +
                             'stripe.elements({mode, amount, currency}) (collecting payment ' +
                             'details before creating an intent).');
    }
    if (type === 'address' && !(options && options.mode) && window.console) {
      window.console.warn('[Connect Lab] elements.create("address") needs options.mode ' +
                          '("shipping" or "billing") on Stripe; using "shipping".');
    }
    var element = new Element(this, type, options);
    this._elements[key] = element;
    return element;
  };

  Elements.prototype.getElement = function (type, options) {
    if (type === 'address') {
      return this._elements[slot(type, options)] ||
        (!(options && options.mode) && this._elements['address:billing']) || null;
    }
    return this._elements[type] || null;
  };

  // https://docs.stripe.com/js/elements_object/update: shallowly merged; resolves (and fires
  // `update-end`) once applied.
  Elements.prototype.update = function (options) {
    var self = this;
    Object.assign(this._options, options || {});
    return new Promise(function (resolve) {
      setTimeout(function () {
        self._emit('update-end', undefined);
        resolve();
      }, 0);
    });
  };

  // https://docs.stripe.com/js/elements_object/fetch_updates: re-reads the intent behind
  // elements({clientSecret}). The docs do not say what it answers without one (the deferred
  // mode has no intent to read); this answers an error saying so.
  Elements.prototype.fetchUpdates = function () {
    var secret = this._options.clientSecret;
    if (!secret) {
      return Promise.resolve({error: {message: 'elements.fetchUpdates() reads the intent of ' +
        'elements({clientSecret}); these Elements were created without one.'}});
    }
    var intent = intentOf(secret, 'elements.fetchUpdates', ['payment_intent', 'setup_intent']);
    return request(this._stripe, 'GET', KINDS[intent.kind].path + intent.id,
                   {client_secret: secret}).then(function (body) {
      return body.error ? {error: {message: body.error.message, status: body.error.code}} : {};
    });
  };

  // https://docs.stripe.com/js/elements/submit: validates the Payment Element; {error} or,
  // as the stripe-js types give it, the selected payment method type.
  Elements.prototype.submit = function () {
    var self = this;
    var element = this._elements.payment;
    if (!element) {
      self._submitted = true;
      return Promise.resolve({});
    }
    return element._call('validate').then(function (result) {
      if (result && result.error) {
        self._submitted = false;
        return {error: result.error};
      }
      self._submitted = true;
      return {selectedPaymentMethod: 'card'};
    });
  };

  // What the inert Link and Address Elements were given (their defaultValues) goes where
  // Stripe.js puts what they collect: the billing details and the intent's shipping.
  Elements.prototype._billingDetails = function (given) {
    var billing = JSON.parse(JSON.stringify(given || {}));
    var link = this._elements.linkAuthentication;
    var email = link && (link._options.defaultValues || {}).email;
    if (email && !billing.email) {
      billing.email = email;
    }
    var address = this._elements['address:billing'];
    if (address) {
      var value = address._addressValue();
      if (value.name && !billing.name) {
        billing.name = value.name;
      }
      if (value.phone && !billing.phone) {
        billing.phone = value.phone;
      }
      if (value.address.line1 && !billing.address) {
        billing.address = value.address;
      }
    }
    return billing;
  };

  Elements.prototype._shipping = function () {
    var address = this._elements['address:shipping'] || this._elements.shippingAddress;
    if (!address) {
      return null;
    }
    var value = address._addressValue();
    return value.name && value.address.line1 ? value : null;
  };

  // -- Stripe ---------------------------------------------------------------------------------
  function Stripe(key, options) {
    if (!(this instanceof Stripe)) {
      return new Stripe(key, options);
    }
    if (typeof key !== 'string' || !key) {
      throw IntegrationError('Stripe() needs your publishable key (pk_test_...).');
    }
    if (/^(sk|rk)_/.test(key)) {
      throw IntegrationError('Stripe.js takes a publishable key (pk_test_...). A secret key ' +
                             'must never appear in a web page.');
    }
    if (/^pk_live_/.test(key)) {
      throw IntegrationError('The Connect Lab emulator is test mode only: use a pk_test_ key.');
    }
    if (!/^pk_test_/.test(key)) {
      throw IntegrationError('Invalid publishable key: it should start with pk_test_.');
    }
    // https://docs.stripe.com/js/initializing: stripeAccount, apiVersion, locale, betas.
    options = options || {};
    this._key = key;
    this._account = options.stripeAccount || null;
    this._apiVersion = options.apiVersion || null;
    this._locale = options.locale || 'auto';
    return new Proxy(this, GUARD);
  }

  // An unknown method names itself instead of `undefined is not a function`.
  var GUARD = {
    get: function (target, prop, receiver) {
      if (typeof prop !== 'string' || prop in target || NOT_METHODS.indexOf(prop) >= 0 ||
          !/^[a-z][A-Za-z0-9]*$/.test(prop)) {
        return Reflect.get(target, prop, receiver);
      }
      return function () {
        throw IntegrationError('stripe.' + prop + '() is not a Stripe.js method that ' +
                               STAND_IN + ' knows (see https://docs.stripe.com/js).');
      };
    }
  };

  Stripe.__connectLab = true;
  Stripe.version = 3;

  NOT_MODELLED.forEach(function (name) {
    Stripe.prototype[name] = function () {
      return Promise.resolve({error: notModelled('stripe.' + name + '()')});
    };
  });

  // https://docs.stripe.com/js/tokens/create_token?type=cardElement: the legacy card Token
  // from a card or cardNumber Element; the other token types are not modelled.
  Stripe.prototype.createToken = function (element, data) {
    if (element instanceof Element && (element._type === 'card' ||
                                       element._type === 'cardNumber')) {
      return element._call('createToken', {data: data || null});
    }
    var what = typeof element === 'string' ? JSON.stringify(element)
      : element instanceof Element ? 'a ' + element._type + ' Element' : '...';
    return Promise.resolve({error: notModelled('stripe.createToken(' + what + ')')});
  };

  // Wrappers (React Stripe.js) announce themselves; nothing to record offline.
  Stripe.prototype.registerAppInfo = function () {};
  Stripe.prototype._registerWrapper = function () {};

  Stripe.prototype.elements = function (options) {
    return new Elements(this, options);
  };

  // https://docs.stripe.com/js/payment_request/create: no browser wallet exists offline, so
  // canMakePayment() resolves null, as it does on Stripe where none is available.
  Stripe.prototype.paymentRequest = function (options) {
    var request = new Emitter();
    request._handlers = {};
    request._options = Object.assign({}, options || {});
    request.canMakePayment = function () { return Promise.resolve(null); };
    request.update = function (more) { Object.assign(request._options, more || {}); };
    request.isShowing = function () { return false; };
    request.abort = function () {};
    request.show = function () {
      throw IntegrationError('paymentRequest.show(): no browser wallet exists in ' + STAND_IN +
                             ' (canMakePayment() resolved null).');
    };
    return request;
  };

  // The card Element (or cardNumber) of a `payment_method: {card: element, ...}` argument.
  function cardElement(value, method) {
    var element = value && value.card;
    if (!(element instanceof Element) || (element._type !== 'card' &&
                                          element._type !== 'cardNumber')) {
      throw IntegrationError(method + ': payment_method.card must be a mounted card or ' +
                             'cardNumber Element.');
    }
    return element;
  }

  function created(result) {
    return result.error ? {error: result.error} : {id: result.paymentMethod.id};
  }

  // A PaymentMethod for `payment_method` as confirmCardPayment / confirmCardSetup accept it:
  // an ID, or {card: <card or cardNumber Element>, billing_details, metadata}.
  Stripe.prototype._paymentMethodFrom = function (value, method) {
    if (value === undefined || value === null) {
      return Promise.resolve({});
    }
    if (typeof value === 'string') {
      return Promise.resolve({id: value});
    }
    return cardElement(value, method)._call('createPaymentMethod', {
      billing_details: value.billing_details || null, metadata: value.metadata || null,
    }).then(created);
  };

  // https://docs.stripe.com/js/payment_methods/create_payment_method: {elements, params}
  // (after elements.submit()), {type: 'card', card: <Element>, billing_details}, or the older
  // ('card', element, data).
  Stripe.prototype.createPaymentMethod = function (data, element, extra) {
    if (typeof data === 'string') {
      data = Object.assign({type: data, card: element}, extra || {});
    }
    data = data || {};
    if (data.elements) {
      var elements = data.elements;
      var payment = elements.getElement('payment');
      if (!payment) {
        throw IntegrationError('stripe.createPaymentMethod({elements}): the elements group ' +
                               'has no Payment Element.');
      }
      if (!elements._submitted) {
        return Promise.reject(IntegrationError('elements.submit() must be called before ' +
                                               'stripe.createPaymentMethod().'));
      }
      elements._submitted = false;
      var params = data.params || {};
      return payment._call('createPaymentMethod', {
        billing_details: elements._billingDetails(params.billing_details),
        metadata: params.metadata || null});
    }
    if (data.type && data.type !== 'card') {
      return Promise.resolve({error: notModelled(
        'stripe.createPaymentMethod({type: "' + data.type + '"})')});
    }
    if (!(data.card instanceof Element)) {
      throw IntegrationError('stripe.createPaymentMethod(): pass {elements, params} or ' +
                             '{type: "card", card: <card Element>}.');
    }
    return cardElement(data, 'stripe.createPaymentMethod')._call('createPaymentMethod', {
      billing_details: data.billing_details || null, metadata: data.metadata || null});
  };

  Stripe.prototype._retrieve = function (kind, id, clientSecret) {
    var spec = KINDS[kind];
    return request(this, 'GET', spec.path + id, {client_secret: clientSecret})
      .then(function (body) {
        var out = {};
        if (body.error) {
          out.error = body.error;
        } else {
          out[spec.key] = body;
        }
        return out;
      });
  };

  Stripe.prototype.retrievePaymentIntent = function (clientSecret) {
    var intent = intentOf(clientSecret, 'stripe.retrievePaymentIntent', ['payment_intent']);
    return this._retrieve(intent.kind, intent.id, clientSecret);
  };

  Stripe.prototype.retrieveSetupIntent = function (clientSecret) {
    var intent = intentOf(clientSecret, 'stripe.retrieveSetupIntent', ['setup_intent']);
    return this._retrieve(intent.kind, intent.id, clientSecret);
  };

  // POST .../confirm, then carry out the next action (3D Secure) unless told not to.
  Stripe.prototype._confirm = function (intent, clientSecret, params, handleActions) {
    var self = this;
    var spec = KINDS[intent.kind];
    params = Object.assign({}, params, {client_secret: clientSecret, use_stripe_sdk: true});
    return request(this, 'POST', spec.path + intent.id + '/confirm', params)
      .then(function (body) {
        if (body.error) {
          return {error: body.error};
        }
        if (body.status === 'requires_action' && handleActions) {
          return self._handleNextAction(intent.kind, body, clientSecret);
        }
        var out = {};
        out[spec.key] = body;
        return out;
      });
  };

  Stripe.prototype._handleNextAction = function (kind, intent, clientSecret) {
    var self = this;
    var spec = KINDS[kind];
    var action = intent.next_action || {};
    var url = action.type === 'use_stripe_sdk' ? action.use_stripe_sdk.stripe_js
      : action.type === 'redirect_to_url' ? action.redirect_to_url.url : null;
    var out = {};
    if (!url) {
      out[spec.key] = intent;
      return Promise.resolve(out);
    }
    var target = new URL(url, BASE + '/');
    // The emulator's test challenge, at whichever address the API named it: shown here,
    // from the base this script came from. Any other URL is a real redirect.
    var ours = /\/_emulator\/3ds\/([A-Za-z0-9_]+)$/.exec(target.pathname);
    if (!ours) {
      window.location.assign(target.href); // a real redirect: this page is leaving
      return new Promise(function () {});
    }
    target = new URL(BASE + '/_emulator/3ds/' + ours[1]);
    return challenge(this, target, clientSecret).then(function () {
      return self._retrieve(kind, intent.id, clientSecret);
    }).then(function (result) {
      if (result.error) {
        return result;
      }
      var current = result[spec.key];
      if (spec.success.indexOf(current.status) >= 0 || current.status === 'requires_action') {
        return result;
      }
      var last = current[spec.lastError] || {};
      var error;
      if (last.code === spec.authCode) {
        error = {type: 'invalid_request_error', code: last.code, doc_url: last.doc_url,
                 message: AUTH_FAILED, payment_method: last.payment_method};
      } else {
        error = Object.assign({}, last);
      }
      error[kind] = current;
      return {error: error};
    });
  };

  // https://docs.stripe.com/js/payment_intents/handle_next_action: either kind of intent.
  Stripe.prototype.handleNextAction = function (options) {
    var self = this;
    var secret = options && options.clientSecret;
    var intent = intentOf(secret, 'stripe.handleNextAction',
                          ['payment_intent', 'setup_intent']);
    return this._retrieve(intent.kind, intent.id, secret).then(function (result) {
      var current = result[KINDS[intent.kind].key];
      if (result.error || current.status !== 'requires_action') {
        return result;
      }
      return self._handleNextAction(intent.kind, current, secret);
    });
  };

  // https://docs.stripe.com/js/payment_intents/handle_card_action
  Stripe.prototype.handleCardAction = function (clientSecret) {
    intentOf(clientSecret, 'stripe.handleCardAction', ['payment_intent']);
    return this.handleNextAction({clientSecret: clientSecret});
  };

  Stripe.prototype._confirmCard = function (kind, method, clientSecret, data, options) {
    var intent = intentOf(clientSecret, method, [kind]);
    var self = this;
    data = Object.assign({}, data || {});
    options = options || {};
    var paymentMethod = data.payment_method;
    delete data.payment_method;
    return this._paymentMethodFrom(paymentMethod, method).then(function (pm) {
      if (pm.error) {
        return {error: pm.error};
      }
      if (pm.id) {
        data.payment_method = pm.id;
      }
      return self._confirm(intent, clientSecret, data, options.handleActions !== false);
    });
  };

  Stripe.prototype.confirmCardPayment = function (clientSecret, data, options) {
    return this._confirmCard('payment_intent', 'stripe.confirmCardPayment', clientSecret,
                             data, options);
  };

  // https://docs.stripe.com/js/setup_intents/confirm_card_setup
  Stripe.prototype.confirmCardSetup = function (clientSecret, data, options) {
    return this._confirmCard('setup_intent', 'stripe.confirmCardSetup', clientSecret,
                             data, options);
  };

  // The `redirect_status` Stripe.js adds to return_url. The docs show `succeeded` and
  // `failed`; they do not list the others, and for an intent still `processing` this says
  // `pending` (the word Stripe's redirect statuses use elsewhere: Source.redirect.status).
  function redirectStatus(intent) {
    if (intent.status === 'succeeded' || intent.status === 'requires_capture') {
      return 'succeeded';
    }
    return intent.status === 'processing' ? 'pending' : 'failed';
  }

  // confirmPayment and confirmSetup: the Payment Element's PaymentMethod, the confirm, its
  // next action, then (redirect: 'always', the default) the customer goes to return_url.
  Stripe.prototype._confirmElements = function (kind, method, options) {
    options = options || {};
    var self = this;
    var spec = KINDS[kind];
    var elements = options.elements;
    if (elements !== undefined && !(elements instanceof Elements)) {
      throw IntegrationError(method + '(): elements must be what stripe.elements() returned.');
    }
    var deferred = !!elements && !elements._options.clientSecret;
    var clientSecret = options.clientSecret || (elements && elements._options.clientSecret);
    if (!clientSecret) {
      throw IntegrationError(method + '(): pass clientSecret (required when elements were ' +
                             'created without one) or elements created with {clientSecret}.');
    }
    var intent = intentOf(clientSecret, method, [kind]);
    var redirect = options.redirect || 'always';
    if (redirect !== 'always' && redirect !== 'if_required') {
      throw IntegrationError(method + '(): redirect must be "always" or "if_required".');
    }
    var params = Object.assign({}, options.confirmParams || {});
    if (redirect === 'always' && !params.return_url) {
      throw IntegrationError(method + '(): confirmParams.return_url is required unless ' +
                             'you pass redirect: "if_required".');
    }
    var element = elements ? elements.getElement('payment') : null;
    if (deferred && element) {
      // The docs do not give this refusal's words for a mismatched mode; it names both.
      var mode = elements._options.mode;
      if ((kind === 'setup_intent') !== (mode === 'setup')) {
        throw IntegrationError(method + '(): these Elements were created with mode "' + mode +
                               '", which confirms a ' + (mode === 'setup' ? 'SetupIntent' :
                               'PaymentIntent') + ', not a ' + spec.name + '.');
      }
      if (!elements._submitted) {
        // https://docs.stripe.com/payments/accept-a-payment-deferred: submit() comes first.
        return Promise.reject(IntegrationError('elements.submit() must be called before ' +
                                               method + '().'));
      }
      elements._submitted = false;
    }
    var pmData = params.payment_method_data || {};
    var pending = Promise.resolve({});
    if (element) {
      delete params.payment_method_data;
      pending = element._call('createPaymentMethod', {
        billing_details: elements._billingDetails(pmData.billing_details),
        metadata: pmData.metadata || null,
      }).then(created);
    }
    if (elements && kind === 'payment_intent' && !params.shipping && elements._shipping()) {
      params.shipping = elements._shipping();
    }
    return pending.then(function (pm) {
      if (pm.error) {
        return {error: pm.error};
      }
      if (pm.id) {
        params.payment_method = pm.id;
      }
      return self._confirm(intent, clientSecret, params, true);
    }).then(function (result) {
      if (result.error || redirect === 'if_required') {
        return result;
      }
      var confirmed = result[spec.key];
      var back = new URL(params.return_url, window.location.href);
      back.searchParams.set(kind, confirmed.id);
      back.searchParams.set(kind + '_client_secret', clientSecret);
      back.searchParams.set('redirect_status', redirectStatus(confirmed));
      window.location.assign(back.href);
      return new Promise(function () {}); // the page is leaving
    });
  };

  // https://docs.stripe.com/js/payment_intents/confirm_payment
  Stripe.prototype.confirmPayment = function (options) {
    return this._confirmElements('payment_intent', 'stripe.confirmPayment', options);
  };

  // https://docs.stripe.com/js/setup_intents/confirm_setup
  Stripe.prototype.confirmSetup = function (options) {
    return this._confirmElements('setup_intent', 'stripe.confirmSetup', options);
  };

  // -- the 3D Secure challenge, in a modal over the page ---------------------------------------
  function challenge(stripe, url, clientSecret) {
    return new Promise(function (resolve) {
      var overlay = document.createElement('div');
      overlay.className = '__ConnectLabStripe3DS';
      overlay.setAttribute('role', 'dialog');
      overlay.setAttribute('aria-modal', 'true');
      overlay.setAttribute('aria-label', 'Authenticate your payment');
      overlay.style.cssText = 'position:fixed;inset:0;z-index:2147483647;display:flex;' +
        'align-items:center;justify-content:center;background:rgba(0,0,0,0.45);';
      var iframe = document.createElement('iframe');
      iframe.name = '__privateStripeFrame3DSChallenge';
      iframe.title = '3D Secure authentication';
      iframe.setAttribute('frameborder', '0');
      iframe.src = url.href;
      iframe.style.cssText = 'width:420px;max-width:94vw;height:340px;max-height:90vh;' +
        'border:none;border-radius:8px;background:#fff;box-shadow:0 8px 32px rgba(0,0,0,.3);';
      iframe.addEventListener('load', function () {
        iframe.contentWindow.postMessage({source: TAG, type: 'init', clientSecret: clientSecret,
                                          key: stripe._key,
                                          stripeAccount: stripe._account || null}, API);
      });
      overlay.appendChild(iframe);
      document.body.appendChild(overlay);
      var frameWindow = iframe.contentWindow;
      frames.set(frameWindow, function (data) {
        if (data.type !== 'challenge-complete') {
          return;
        }
        frames.delete(frameWindow);
        overlay.remove();
        resolve(data.outcome);
      });
    });
  }

  window.Stripe = Stripe;
})();
