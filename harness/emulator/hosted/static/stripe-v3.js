/*
 * Connect Lab: an offline stand-in for Stripe.js v3, served by the emulator at /v3/.
 *
 * It implements the subset of https://docs.stripe.com/js that the Connect guide uses:
 *   Stripe(publishableKey, {stripeAccount, apiVersion})
 *   stripe.elements(options) -> elements.create('card' | 'cardNumber' | 'cardExpiry' |
 *                               'cardCvc' | 'payment', options), elements.getElement(type)
 *   element.mount / unmount / destroy / update / focus / blur / clear / on / off / once
 *   stripe.confirmCardPayment, stripe.confirmPayment, stripe.retrievePaymentIntent,
 *   stripe.createPaymentMethod
 *
 * As with the real library, every input lives in an iframe served by the emulator's origin
 * (/v3/elements-inner.html). This script, which runs in the platform's page, only sends
 * those iframes instructions by postMessage and receives PaymentMethod IDs and change
 * events back; card numbers stay inside the iframes. Everything is authenticated with the
 * publishable key (and the PaymentIntent's client secret), never with a secret key.
 */
(function () {
  'use strict';

  if (window.Stripe && window.Stripe.__connectLab) {
    return;
  }

  var SCRIPT = document.currentScript;
  var API = new URL(SCRIPT ? SCRIPT.src : '/v3/', window.location.href).origin;
  var TAG = 'connect-lab-stripe-js';
  var AUTH_FAILED =
    'We are unable to authenticate your payment method. ' +
    'Please choose a different payment method and try again.';
  var ELEMENT_TYPES = ['card', 'cardNumber', 'cardExpiry', 'cardCvc', 'payment'];
  var SUCCESS = ['succeeded', 'processing', 'requires_capture'];
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
    var url = API + path;
    var init = {method: method, headers: headers, mode: 'cors', credentials: 'omit',
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
                      message: 'Could not reach Stripe (the Connect Lab emulator at ' + API +
                               '). Is it still running?'}};
    });
  }

  function intentId(clientSecret, method) {
    var match = typeof clientSecret === 'string' &&
      /^(pi_[A-Za-z0-9]+)_secret_[A-Za-z0-9]+$/.exec(clientSecret);
    if (!match) {
      throw IntegrationError('Invalid value for ' + method + ': clientSecret must be the ' +
                             "PaymentIntent's client secret (pi_..._secret_...).");
    }
    return match[1];
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

  // -- Element ------------------------------------------------------------------------------
  function Element(group, type, options) {
    this._group = group;
    this._type = type;
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

  Element.prototype.mount = function (target) {
    if (this._destroyed) {
      throw IntegrationError('This Element has been destroyed; create a new one to mount.');
    }
    if (this._iframe) {
      throw IntegrationError('This Element is already mounted; unmount() it first.');
    }
    var container = typeof target === 'string' ? document.querySelector(target) : target;
    if (!container || !container.appendChild) {
      throw IntegrationError('element.mount(): ' + String(target) + ' matches no element ' +
                             'on the page. Mount after the container exists.');
    }
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
    iframe.src = API + '/v3/elements-inner.html#' + hash.toString();
    iframe.addEventListener('load', function () {
      self._post({type: 'init', key: self._group._stripe._key,
                  stripeAccount: self._group._stripe._account || null,
                  apiVersion: self._group._stripe._apiVersion || null,
                  elementType: self._type, options: self._options});
    });
    wrapper.appendChild(iframe);
    container.appendChild(wrapper);
    container.classList.add('StripeElement');
    this._iframe = iframe;
    this._wrapper = wrapper;
    this._container = container;
    this._classes();
    frames.set(iframe.contentWindow, function (data) {
      self._receive(data);
    });
  };

  Element.prototype._post = function (message) {
    if (!this._iframe || !this._iframe.contentWindow) {
      return;
    }
    message.source = TAG;
    this._iframe.contentWindow.postMessage(message, API);
  };

  Element.prototype._send = function (message) {
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

  Element.prototype._emit = function (name, payload) {
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

  Element.prototype.on = function (name, handler) {
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

  Element.prototype.once = function (name, handler) {
    this.on(name, handler);
    var list = this._handlers[name];
    list[list.length - 1].once = true;
    return this;
  };

  Element.prototype.off = function (name, handler) {
    var list = this._handlers[name] || [];
    this._handlers[name] = handler ? list.filter(function (e) { return e.handler !== handler; })
                                   : [];
    return this;
  };

  Element.prototype.update = function (options) {
    Object.assign(this._options, options || {});
    this._send({type: 'update', options: options || {}});
  };

  Element.prototype.focus = function () { this._send({type: 'focus'}); };
  Element.prototype.blur = function () { this._send({type: 'blur'}); };
  Element.prototype.clear = function () { this._send({type: 'clear'}); };

  Element.prototype.unmount = function () {
    if (!this._iframe) {
      return;
    }
    frames.delete(this._iframe.contentWindow);
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
    if (this._group._elements[this._type] === this) {
      delete this._group._elements[this._type];
    }
  };

  // -- Elements (a group of Elements sharing one form) ----------------------------------------
  function Elements(stripe, options) {
    this._stripe = stripe;
    this._options = Object.assign({}, options || {});
    this._id = uid('grp');
    this._elements = {};
  }

  Elements.prototype.create = function (type, options) {
    if (ELEMENT_TYPES.indexOf(type) < 0) {
      throw IntegrationError('elements.create(): the Connect Lab stand-in supports ' +
                             ELEMENT_TYPES.join(', ') + '; not "' + type + '".');
    }
    if (this._elements[type]) {
      throw IntegrationError('Can only create one Element of type ' + type + ' per elements().');
    }
    var split = ['cardNumber', 'cardExpiry', 'cardCvc'];
    if ((type === 'card' && split.some(function (t) { return this._elements[t]; }, this)) ||
        (split.indexOf(type) >= 0 && this._elements.card)) {
      throw IntegrationError('Use either the card Element or the split card Elements ' +
                             '(cardNumber, cardExpiry, cardCvc) in one elements() group.');
    }
    if (type === 'payment' && !this._options.clientSecret) {
      throw IntegrationError('The Payment Element needs elements({clientSecret}): pass the ' +
                             "PaymentIntent's client secret when you call stripe.elements().");
    }
    var element = new Element(this, type, options);
    this._elements[type] = element;
    return element;
  };

  Elements.prototype.getElement = function (type) {
    return this._elements[type] || null;
  };

  Elements.prototype.update = function (options) {
    Object.assign(this._options, options || {});
  };

  Elements.prototype.submit = function () {
    var element = this._elements.payment;
    if (!element) {
      return Promise.resolve({});
    }
    return element._call('validate').then(function (result) {
      return result && result.error ? {error: result.error} : {};
    });
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
    options = options || {};
    this._key = key;
    this._account = options.stripeAccount || null;
    this._apiVersion = options.apiVersion || null;
  }

  Stripe.__connectLab = true;
  Stripe.version = 3;

  Stripe.prototype.elements = function (options) {
    return new Elements(this, options);
  };

  // A PaymentMethod for `payment_method` as confirmCardPayment accepts it: an ID, or
  // {card: <card or cardNumber Element>, billing_details, metadata}.
  Stripe.prototype._paymentMethodFrom = function (value, method) {
    if (value === undefined || value === null) {
      return Promise.resolve({});
    }
    if (typeof value === 'string') {
      return Promise.resolve({id: value});
    }
    var element = value.card;
    if (!(element instanceof Element) || (element._type !== 'card' &&
                                          element._type !== 'cardNumber')) {
      throw IntegrationError(method + ': payment_method.card must be a mounted card or ' +
                             'cardNumber Element.');
    }
    return element._call('createPaymentMethod', {
      billing_details: value.billing_details || null, metadata: value.metadata || null,
    }).then(function (result) {
      return result.error ? {error: result.error} : {id: result.paymentMethod.id};
    });
  };

  Stripe.prototype.createPaymentMethod = function (data, element, extra) {
    if (typeof data === 'string') { // the older (type, element, data) form
      data = Object.assign({type: data, card: element}, extra || {});
    }
    data = data || {};
    var target = data.elements ? data.elements.getElement('payment') : data.card;
    if (!(target instanceof Element)) {
      throw IntegrationError('stripe.createPaymentMethod(): pass {type: "card", card: ' +
                             '<Element>} or {elements}.');
    }
    var billing = data.billing_details ||
      (data.params && data.params.billing_details) || null;
    return target._call('createPaymentMethod', {billing_details: billing,
                                                metadata: data.metadata || null});
  };

  Stripe.prototype.retrievePaymentIntent = function (clientSecret) {
    var id = intentId(clientSecret, 'stripe.retrievePaymentIntent');
    return request(this, 'GET', '/v1/payment_intents/' + id, {client_secret: clientSecret})
      .then(function (body) {
        return body.error ? {error: body.error} : {paymentIntent: body};
      });
  };

  // POST .../confirm, then carry out the next action (3D Secure) unless told not to.
  Stripe.prototype._confirm = function (id, clientSecret, params, handleActions) {
    var self = this;
    params = Object.assign({}, params, {client_secret: clientSecret, use_stripe_sdk: true});
    return request(this, 'POST', '/v1/payment_intents/' + id + '/confirm', params)
      .then(function (body) {
        if (body.error) {
          return {error: body.error};
        }
        if (body.status === 'requires_action' && handleActions) {
          return self._handleNextAction(body, clientSecret);
        }
        return {paymentIntent: body};
      });
  };

  Stripe.prototype._handleNextAction = function (intent, clientSecret) {
    var self = this;
    var action = intent.next_action || {};
    var url = action.type === 'use_stripe_sdk' ? action.use_stripe_sdk.stripe_js
      : action.type === 'redirect_to_url' ? action.redirect_to_url.url : null;
    if (!url) {
      return Promise.resolve({paymentIntent: intent});
    }
    var target = new URL(url, API);
    if (target.origin !== API || target.pathname.indexOf('/_emulator/3ds/') !== 0) {
      window.location.assign(target.href); // a real redirect: this page is leaving
      return new Promise(function () {});
    }
    return challenge(this, target, clientSecret).then(function () {
      return self.retrievePaymentIntent(clientSecret);
    }).then(function (result) {
      if (result.error) {
        return result;
      }
      var pi = result.paymentIntent;
      if (SUCCESS.indexOf(pi.status) >= 0 || pi.status === 'requires_action') {
        return {paymentIntent: pi};
      }
      var last = pi.last_payment_error || {};
      if (last.code === 'payment_intent_authentication_failure') {
        return {error: {type: 'invalid_request_error', code: last.code,
                        doc_url: last.doc_url, message: AUTH_FAILED, payment_intent: pi,
                        payment_method: last.payment_method}};
      }
      return {error: Object.assign({}, last, {payment_intent: pi})};
    });
  };

  Stripe.prototype.confirmCardPayment = function (clientSecret, data, options) {
    var id = intentId(clientSecret, 'stripe.confirmCardPayment');
    var self = this;
    data = Object.assign({}, data || {});
    options = options || {};
    var paymentMethod = data.payment_method;
    delete data.payment_method;
    return this._paymentMethodFrom(paymentMethod, 'stripe.confirmCardPayment')
      .then(function (pm) {
        if (pm.error) {
          return {error: pm.error};
        }
        if (pm.id) {
          data.payment_method = pm.id;
        }
        return self._confirm(id, clientSecret, data, options.handleActions !== false);
      });
  };

  Stripe.prototype.confirmPayment = function (options) {
    options = options || {};
    var elements = options.elements;
    var clientSecret = options.clientSecret || (elements && elements._options.clientSecret);
    var id = intentId(clientSecret, 'stripe.confirmPayment');
    var redirect = options.redirect || 'always';
    if (redirect !== 'always' && redirect !== 'if_required') {
      throw IntegrationError('stripe.confirmPayment(): redirect must be "always" or ' +
                             '"if_required".');
    }
    var params = Object.assign({}, options.confirmParams || {});
    if (redirect === 'always' && !params.return_url) {
      throw IntegrationError('stripe.confirmPayment(): confirmParams.return_url is required ' +
                             'unless you pass redirect: "if_required".');
    }
    var self = this;
    var element = elements ? elements.getElement('payment') : null;
    var pmData = params.payment_method_data || {};
    var created = Promise.resolve({});
    if (element) {
      delete params.payment_method_data;
      created = element._call('createPaymentMethod', {
        billing_details: pmData.billing_details || null, metadata: pmData.metadata || null,
      }).then(function (result) {
        return result.error ? {error: result.error} : {id: result.paymentMethod.id};
      });
    }
    return created.then(function (pm) {
      if (pm.error) {
        return {error: pm.error};
      }
      if (pm.id) {
        params.payment_method = pm.id;
      }
      return self._confirm(id, clientSecret, params, true);
    }).then(function (result) {
      if (result.error || redirect === 'if_required') {
        return result;
      }
      // redirect: 'always' sends the customer to return_url with the intent's outcome.
      var back = new URL(params.return_url, window.location.href);
      back.searchParams.set('payment_intent', result.paymentIntent.id);
      back.searchParams.set('payment_intent_client_secret', clientSecret);
      back.searchParams.set('redirect_status', result.paymentIntent.status === 'succeeded'
        ? 'succeeded' : result.paymentIntent.status);
      window.location.assign(back.href);
      return new Promise(function () {});
    });
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
