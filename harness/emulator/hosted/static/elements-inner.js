/*
 * Connect Lab: the inside of an Element's iframe (served by the emulator's origin).
 *
 * It draws the inputs, validates them as Stripe Elements do (Luhn and length for the number,
 * an expiry in the future, the CVC's length for the brand, a postal code with the single
 * card Element and the Payment Element), reports `change` events to the stand-in in the
 * parent page, and creates the PaymentMethod itself, with the publishable key, on the same
 * origin as the API. The card number never leaves this frame except to that API.
 *
 * The split Elements (cardNumber, cardExpiry, cardCvc) each live in their own frame; when
 * the number frame creates the PaymentMethod it collects the other two over a
 * BroadcastChannel that only frames of this origin can join.
 */
(function () {
  'use strict';

  var TAG = 'connect-lab-stripe-js';
  // This frame is <base>/v3/elements-inner.html; the API is under the same <base> (a path
  // prefix behind a Jupyter server's proxy, none otherwise).
  var BASE = window.location.pathname.replace(/\/v3\/[^\/]*$/, '');
  var hash = new URLSearchParams(window.location.hash.slice(1));
  var TYPE = hash.get('type');
  var GROUP = hash.get('group');
  var MESSAGES = {
    incomplete_number: 'Your card number is incomplete.',
    invalid_number: 'Your card number is invalid.',
    incomplete_expiry: "Your card's expiration date is incomplete.",
    invalid_expiry_month: "Your card's expiration month is invalid.",
    invalid_expiry_month_past: "Your card's expiration date is in the past.",
    invalid_expiry_year_past: "Your card's expiration year is in the past.",
    invalid_expiry_year: "Your card's expiration year is invalid.",
    incomplete_cvc: "Your card's security code is incomplete.",
    incomplete_zip: 'Your postal code is incomplete.'
  };
  var LENGTHS = {
    visa: [16], mastercard: [16], amex: [15], discover: [16], diners: [14, 16], jcb: [16],
    unionpay: [16, 17, 18, 19], unknown: [16]
  };
  var COUNTRIES = [
    ['US', 'United States'], ['CA', 'Canada'], ['GB', 'United Kingdom'], ['AU', 'Australia'],
    ['FR', 'France'], ['DE', 'Germany'], ['IE', 'Ireland'], ['NL', 'Netherlands'],
    ['ES', 'Spain'], ['JP', 'Japan']
  ];
  var POSTAL_COUNTRIES = ['US', 'CA', 'GB'];

  var parentOrigin = null;
  var config = {key: null, stripeAccount: null, apiVersion: null};
  var options = {};
  var fields = {}; // name -> {input, box, error, touched}
  var order = [];
  var brand = 'unknown';
  var submitted = false;
  var lastChange = null;
  var lastHeight = 0;
  var channel = null;
  var waiting = {}; // requestId -> {resolve, values}

  // -- talking to the stand-in in the parent page --------------------------------------------
  function post(message) {
    if (!parentOrigin) {
      return;
    }
    message.source = TAG;
    window.parent.postMessage(message, parentOrigin);
  }

  function reply(message, result) {
    post({type: 'response', requestId: message.requestId, result: result});
  }

  window.addEventListener('message', function (event) {
    var data = event.data;
    if (event.source !== window.parent || !data || data.source !== TAG) {
      return;
    }
    if (data.type === 'init') {
      if (parentOrigin) {
        return;
      }
      parentOrigin = event.origin;
      config.key = data.key;
      config.stripeAccount = data.stripeAccount;
      config.apiVersion = data.apiVersion;
      options = data.options || {};
      build();
      post({type: 'ready'});
      resize();
      return;
    }
    if (event.origin !== parentOrigin) {
      return;
    }
    switch (data.type) {
      case 'update':
        Object.assign(options, data.options || {});
        applyOptions();
        break;
      case 'focus':
        if (order.length) {
          fields[order[0]].input.focus();
        }
        break;
      case 'blur':
        if (document.activeElement) {
          document.activeElement.blur();
        }
        break;
      case 'clear':
        order.forEach(function (name) {
          if (fields[name].input.tagName === 'INPUT') {
            fields[name].input.value = '';
          }
          fields[name].touched = false;
        });
        submitted = false;
        render();
        break;
      case 'validate':
        submitted = true;
        render();
        var problem = firstError(states());
        reply(data, problem ? {error: problem} : {});
        break;
      case 'createPaymentMethod':
        createPaymentMethod(data);
        break;
      case 'createToken':
        createToken(data);
        break;
      default:
        break;
    }
  });

  // -- validation, as Stripe Elements report it --------------------------------------------------
  function digits(value) {
    return String(value || '').replace(/\D/g, '');
  }

  function brandOf(number) {
    if (/^4/.test(number)) { return 'visa'; }
    if (/^3[47]/.test(number)) { return 'amex'; }
    if (/^(5[1-5]|222[1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720)/.test(number)) {
      return 'mastercard';
    }
    if (/^(6011|65|64[4-9])/.test(number)) { return 'discover'; }
    if (/^(36|38|30[0-5])/.test(number)) { return 'diners'; }
    if (/^35/.test(number)) { return 'jcb'; }
    if (/^62/.test(number)) { return 'unionpay'; }
    return 'unknown';
  }

  function luhn(number) {
    var sum = 0;
    for (var i = 0; i < number.length; i++) {
      var d = +number[number.length - 1 - i];
      if (i % 2 === 1) {
        d *= 2;
        if (d > 9) { d -= 9; }
      }
      sum += d;
    }
    return sum % 10 === 0;
  }

  function result(empty, complete, code, immediate) {
    return {empty: empty, complete: complete, code: code || null, immediate: !!immediate};
  }

  function checkNumber(value) {
    var d = digits(value);
    var lengths = LENGTHS[brandOf(d)];
    var max = Math.max.apply(null, lengths);
    if (!d) { return result(true, false, 'incomplete_number'); }
    if (lengths.indexOf(d.length) >= 0 && luhn(d)) { return result(false, true); }
    if (d.length >= max) { return result(false, false, 'invalid_number', true); }
    return result(false, false, 'incomplete_number');
  }

  function checkExpiry(value) {
    var d = digits(value);
    if (!d) { return result(true, false, 'incomplete_expiry'); }
    var month = +d.slice(0, 2);
    if (d.length >= 2 && (month < 1 || month > 12)) {
      return result(false, false, 'invalid_expiry_month', true);
    }
    if (d.length < 4) { return result(false, false, 'incomplete_expiry'); }
    var year = 2000 + (+d.slice(2, 4));
    var now = new Date();
    var thisYear = now.getFullYear();
    if (year < thisYear) { return result(false, false, 'invalid_expiry_year_past', true); }
    if (year === thisYear && month < now.getMonth() + 1) {
      return result(false, false, 'invalid_expiry_month_past', true);
    }
    if (year > thisYear + 50) { return result(false, false, 'invalid_expiry_year', true); }
    return result(false, true);
  }

  function cvcLengths() {
    return brand === 'amex' ? [4] : brand === 'unknown' ? [3, 4] : [3];
  }

  function checkCvc(value) {
    var d = digits(value);
    if (!d) { return result(true, false, 'incomplete_cvc'); }
    return cvcLengths().indexOf(d.length) >= 0 ? result(false, true)
                                               : result(false, false, 'incomplete_cvc');
  }

  function checkPostal(value) {
    var v = String(value || '').trim();
    if (!v) { return result(true, false, 'incomplete_zip'); }
    if (/^\d+$/.test(v) ? v.length < 5 : v.length < 3) {
      return result(false, false, 'incomplete_zip');
    }
    return result(false, true);
  }

  var CHECKS = {number: checkNumber, expiry: checkExpiry, cvc: checkCvc, postal: checkPostal};

  function postalWanted() {
    if (TYPE === 'payment') {
      return POSTAL_COUNTRIES.indexOf(fields.country.input.value) >= 0;
    }
    return TYPE === 'card' && !options.hidePostalCode;
  }

  function states() {
    var out = {};
    order.forEach(function (name) {
      if (name === 'country' || (name === 'postal' && !postalWanted())) {
        return;
      }
      var state = CHECKS[name](fields[name].input.value);
      state.visible = !!state.code && (state.immediate || submitted ||
                                       (fields[name].touched && !state.empty));
      out[name] = state;
    });
    return out;
  }

  function asError(code) {
    return {type: 'validation_error', code: code, message: MESSAGES[code]};
  }

  function firstError(all, visibleOnly) {
    var names = ['number', 'expiry', 'cvc', 'postal'];
    for (var i = 0; i < names.length; i++) {
      var s = all[names[i]];
      if (s && s.code && (!visibleOnly || s.visible)) {
        return asError(s.code);
      }
    }
    return undefined;
  }

  // -- formatting as the customer types ---------------------------------------------------------
  function formatNumber(d) {
    var groups = brand === 'amex' ? [4, 6, 5] : brand === 'diners' && d.length === 14
      ? [4, 6, 4] : [4, 4, 4, 4, 3];
    var out = [];
    var at = 0;
    groups.forEach(function (size) {
      if (at < d.length) {
        out.push(d.slice(at, at + size));
        at += size;
      }
    });
    return out.join(' ');
  }

  function onInput(name) {
    var input = fields[name].input;
    if (name === 'number') {
      var d = digits(input.value);
      brand = brandOf(d);
      d = d.slice(0, Math.max.apply(null, LENGTHS[brand]));
      input.value = formatNumber(d);
      var badge = document.getElementById('brand');
      if (badge) {
        badge.textContent = brand === 'unknown' ? 'card' : brand;
      }
      if (channel) {
        channel.postMessage({type: 'brand', brand: brand});
      }
    } else if (name === 'expiry') {
      var e = digits(input.value).slice(0, 4);
      if (e.length === 1 && e > '1') {
        e = '0' + e;
      }
      input.value = e.length > 2 ? e.slice(0, 2) + ' / ' + e.slice(2) : e;
    } else if (name === 'cvc') {
      input.value = digits(input.value).slice(0, Math.max.apply(null, cvcLengths()));
    } else if (name === 'postal') {
      input.value = input.value.replace(/[^A-Za-z0-9 -]/g, '').slice(0, 10);
    }
    render();
  }

  // -- what the parent hears -------------------------------------------------------------------
  function changeEvent(all) {
    var empty = true;
    var complete = true;
    Object.keys(all).forEach(function (name) {
      empty = empty && all[name].empty;
      complete = complete && all[name].complete;
    });
    var event = {elementType: TYPE, empty: empty, complete: complete};
    if (TYPE === 'payment') {
      event.collapsed = false;
      event.value = {type: 'card'};
      return event;
    }
    event.error = firstError(all, true);
    if (TYPE === 'card' || TYPE === 'cardNumber') {
      event.brand = brand;
    }
    if (TYPE === 'card') {
      event.value = {postalCode: fields.postal && postalWanted() ? fields.postal.input.value : ''};
    }
    return event;
  }

  function render() {
    var all = states();
    order.forEach(function (name) {
      var field = fields[name];
      var state = all[name];
      var bad = !!(state && state.visible);
      field.input.classList.toggle('invalid', bad);
      field.input.setAttribute('aria-invalid', bad ? 'true' : 'false');
      if (field.box) {
        field.box.classList.toggle('invalid', bad);
      }
      if (field.error) {
        field.error.textContent = bad ? MESSAGES[state.code] : '';
      }
      if (field.wrap) {
        field.wrap.hidden = name === 'postal' && !postalWanted();
      }
    });
    if (fields.postal && fields.postal.label) {
      fields.postal.label.textContent = fields.country && fields.country.input.value === 'US'
        ? 'ZIP code' : 'Postal code';
    }
    var event = changeEvent(all);
    var serialized = JSON.stringify(event);
    if (serialized !== lastChange) {
      var first = lastChange === null; // the state at mount is not a change
      lastChange = serialized;
      if (!first) {
        post({type: 'change', event: event});
      }
    }
    resize();
    return all;
  }

  function resize() {
    var height = Math.ceil(document.getElementById('root').getBoundingClientRect().height) ||
      document.documentElement.scrollHeight;
    if (height && height !== lastHeight) {
      lastHeight = height;
      post({type: 'resize', height: height});
    }
  }

  // -- building the inputs ---------------------------------------------------------------------
  function makeInput(name, attrs) {
    var input = document.createElement('input');
    Object.keys(attrs).forEach(function (k) { input.setAttribute(k, attrs[k]); });
    input.setAttribute('autocorrect', 'off');
    input.setAttribute('spellcheck', 'false');
    var field = fields[name] = {input: input, touched: false};
    order.push(name);
    input.addEventListener('input', function () { onInput(name); });
    input.addEventListener('focus', function () {
      if (field.box) { field.box.classList.add('focus'); }
      post({type: 'focus'});
    });
    input.addEventListener('blur', function () {
      field.touched = true;
      if (field.box) { field.box.classList.remove('focus'); }
      render();
      post({type: 'blur'});
    });
    return input;
  }

  var INPUTS = {
    number: function (names) {
      return makeInput('number', {name: names.number, type: 'text', inputmode: 'numeric',
                                  autocomplete: 'cc-number', 'aria-label': 'Card number',
                                  placeholder: TYPE === 'card' ? 'Card number'
                                                               : '1234 1234 1234 1234'});
    },
    expiry: function (names) {
      return makeInput('expiry', {name: names.expiry, type: 'text', inputmode: 'numeric',
                                  autocomplete: 'cc-exp', placeholder: 'MM / YY',
                                  'aria-label': 'Expiration date (MM / YY)'});
    },
    cvc: function (names) {
      return makeInput('cvc', {name: 'cvc', type: 'text', inputmode: 'numeric',
                               autocomplete: 'cc-csc', placeholder: 'CVC',
                               'aria-label': 'Security code (CVC)'});
    },
    postal: function (names) {
      return makeInput('postal', {name: names.postal, type: 'text', autocomplete: 'postal-code',
                                  placeholder: TYPE === 'card' ? 'ZIP' : '12345',
                                  'aria-label': 'ZIP or postal code'});
    }
  };

  function build() {
    var root = document.getElementById('root');
    if (TYPE === 'payment') {
      buildPaymentElement(root);
    } else {
      var names = {number: 'cardnumber', expiry: 'exp-date', postal: 'postal'};
      var row = document.createElement('div');
      row.className = 'row';
      if (TYPE === 'card' || TYPE === 'cardNumber') {
        var badge = document.createElement('span');
        badge.className = 'brand';
        badge.id = 'brand';
        badge.textContent = 'card';
        row.appendChild(badge);
      }
      var parts = {card: ['number', 'expiry', 'cvc', 'postal'], cardNumber: ['number'],
                   cardExpiry: ['expiry'], cardCvc: ['cvc']}[TYPE] || [];
      parts.forEach(function (name) {
        var input = INPUTS[name](names);
        input.className = TYPE === 'card' ? name : 'single';
        if (name === 'postal' && options.value && options.value.postalCode) {
          input.value = String(options.value.postalCode);
        }
        row.appendChild(input);
      });
      root.appendChild(row);
    }
    if (GROUP && 'BroadcastChannel' in window && TYPE !== 'card' && TYPE !== 'payment') {
      channel = new BroadcastChannel('connect-lab-elements:' + GROUP);
      channel.onmessage = onSibling;
    }
    applyOptions();
  }

  function buildPaymentElement(root) {
    var pe = document.createElement('div');
    pe.className = 'pe';
    var tab = document.createElement('div');
    tab.className = 'tab';
    tab.textContent = 'Card';
    pe.appendChild(tab);
    var names = {number: 'number', expiry: 'expiry', postal: 'postalCode'};

    function labelled(name, text, control) {
      var wrap = document.createElement('div');
      wrap.className = 'field';
      var label = document.createElement('label');
      label.textContent = text;
      var id = 'Field-' + name + 'Input';
      control.id = id;
      label.htmlFor = id;
      var box = document.createElement('div');
      box.className = 'box';
      box.appendChild(control);
      var error = document.createElement('p');
      error.className = 'error';
      error.id = 'Field-' + name + 'Error';
      error.setAttribute('role', 'alert');
      wrap.appendChild(label);
      wrap.appendChild(box);
      wrap.appendChild(error);
      var field = fields[name];
      if (field) {
        field.box = box;
        field.error = error;
        field.wrap = wrap;
        field.label = label;
      }
      return wrap;
    }

    pe.appendChild(labelled('number', 'Card number', INPUTS.number(names)));
    var pair = document.createElement('div');
    pair.className = 'pair';
    pair.appendChild(labelled('expiry', 'Expiration date', INPUTS.expiry(names)));
    pair.appendChild(labelled('cvc', 'Security code', INPUTS.cvc(names)));
    pe.appendChild(pair);

    var select = document.createElement('select');
    select.name = 'country';
    select.setAttribute('autocomplete', 'billing country');
    COUNTRIES.forEach(function (c) {
      var option = document.createElement('option');
      option.value = c[0];
      option.textContent = c[1];
      select.appendChild(option);
    });
    fields.country = {input: select, touched: false};
    order.push('country');
    select.addEventListener('change', render);
    var pair2 = document.createElement('div');
    pair2.className = 'pair';
    pair2.appendChild(labelled('country', 'Country', select));
    var postal = INPUTS.postal(names);
    pair2.appendChild(labelled('postal', 'ZIP code', postal));
    pe.appendChild(pair2);
    root.appendChild(pe);
  }

  function applyOptions() {
    var disabled = !!options.disabled || !!options.readOnly; // readOnly: the Payment Element
    order.forEach(function (name) { fields[name].input.disabled = disabled; });
    var style = options.style || {};
    var base = style.base || {};
    var body = document.body.style;
    if (base.color) { body.color = base.color; }
    if (base.fontSize) { body.fontSize = base.fontSize; }
    if (base.fontFamily) { body.fontFamily = base.fontFamily; }
    var css = '';
    if (base['::placeholder'] && base['::placeholder'].color) {
      css += 'input::placeholder{color:' + base['::placeholder'].color + '}';
    }
    if (style.invalid && style.invalid.color) {
      css += '.invalid{color:' + style.invalid.color + '}';
    }
    var tag = document.getElementById('custom-style');
    if (!tag) {
      tag = document.createElement('style');
      tag.id = 'custom-style';
      document.head.appendChild(tag);
    }
    tag.textContent = css;
    render();
  }

  // -- the split Elements talk among themselves --------------------------------------------------
  function onSibling(event) {
    var m = event.data || {};
    if (m.type === 'brand' && TYPE === 'cardCvc') {
      brand = m.brand;
      render();
    } else if (m.type === 'collect' && (TYPE === 'cardExpiry' || TYPE === 'cardCvc')) {
      submitted = true;
      var all = render();
      var name = TYPE === 'cardExpiry' ? 'expiry' : 'cvc';
      channel.postMessage({type: 'value', requestId: m.requestId, name: name,
                           value: fields[name].input.value, code: all[name].code});
    } else if (m.type === 'value' && waiting[m.requestId]) {
      waiting[m.requestId].values[m.name] = {value: m.value, code: m.code};
      var w = waiting[m.requestId];
      if (w.values.expiry && w.values.cvc) {
        delete waiting[m.requestId];
        w.resolve(w.values);
      }
    }
  }

  function siblings() {
    if (TYPE !== 'cardNumber') {
      return Promise.resolve({});
    }
    var missing = {value: '', code: null, missing: true};
    if (!channel) {
      return Promise.resolve({expiry: missing, cvc: missing});
    }
    return new Promise(function (resolve) {
      var requestId = 'c' + Math.random().toString(36).slice(2);
      var entry = {values: {}, resolve: resolve};
      waiting[requestId] = entry;
      channel.postMessage({type: 'collect', requestId: requestId});
      setTimeout(function () {
        if (waiting[requestId]) {
          delete waiting[requestId];
          resolve({expiry: entry.values.expiry || missing, cvc: entry.values.cvc || missing});
        }
      }, 1500);
    });
  }

  // -- the PaymentMethod ---------------------------------------------------------------------------
  function encode(value, prefix, out) {
    if (value === undefined || value === null || value === '') {
      return out;
    }
    if (typeof value === 'object') {
      Object.keys(value).forEach(function (key) {
        encode(value[key], prefix ? prefix + '[' + key + ']' : key, out);
      });
    } else {
      out.push(encodeURIComponent(prefix) + '=' + encodeURIComponent(String(value)));
    }
    return out;
  }

  function api(method, path, params) {
    var headers = {Authorization: 'Bearer ' + config.key,
                   'Content-Type': 'application/x-www-form-urlencoded'};
    if (config.stripeAccount) { headers['Stripe-Account'] = config.stripeAccount; }
    if (config.apiVersion) { headers['Stripe-Version'] = config.apiVersion; }
    return fetch(BASE + path, {method: method, headers: headers, body: encode(params, '', []).join('&'),
                        credentials: 'same-origin', cache: 'no-store'})
      .then(function (response) { return response.json(); })
      .catch(function () {
        return {error: {type: 'api_connection_error',
                        message: 'Could not reach the Connect Lab emulator.'}};
      });
  }

  // The card as typed, checked as on submit: {error} or {card, postal, country}.
  function collectCard(message) {
    if (TYPE === 'cardExpiry' || TYPE === 'cardCvc') {
      return Promise.resolve({error: {type: 'validation_error', code: 'invalid_element',
                                      message: 'Use the card or cardNumber Element here.'}});
    }
    submitted = true;
    var all = render();
    return siblings().then(function (others) {
      var expiry = fields.expiry ? {value: fields.expiry.input.value, code: all.expiry.code}
                                 : others.expiry;
      var cvc = fields.cvc ? {value: fields.cvc.input.value, code: all.cvc.code} : others.cvc;
      var codes = [all.number.code, expiry.missing ? 'incomplete_expiry' : expiry.code,
                   cvc.missing ? 'incomplete_cvc' : cvc.code, all.postal && all.postal.code];
      var code = codes.filter(Boolean)[0];
      if (code) {
        return {error: asError(code)};
      }
      var exp = digits(expiry.value);
      return {
        card: {number: digits(fields.number.input.value), exp_month: +exp.slice(0, 2),
               exp_year: 2000 + (+exp.slice(2, 4)), cvc: digits(cvc.value)},
        postal: all.postal ? fields.postal.input.value.trim() : null,
        country: fields.country ? fields.country.input.value : null
      };
    });
  }

  function createPaymentMethod(message) {
    collectCard(message).then(function (typed) {
      if (typed.error) {
        reply(message, typed);
        return;
      }
      var billing = JSON.parse(JSON.stringify(message.billing_details || {}));
      billing.address = billing.address || {};
      if (typed.postal && !billing.address.postal_code) {
        billing.address.postal_code = typed.postal;
      }
      if (typed.country && !billing.address.country) {
        billing.address.country = typed.country;
      }
      api('POST', '/v1/payment_methods', {
        type: 'card', card: typed.card, billing_details: billing,
        metadata: message.metadata || null
      }).then(function (body) {
        reply(message, body.error ? {error: body.error} : {paymentMethod: body});
      });
    });
  }

  // stripe.createToken(cardElement, data): the legacy card Token
  // (https://docs.stripe.com/js/tokens/create_token?type=cardElement); `data` carries the
  // name and address_* fields, and the postal code typed here fills address_zip.
  function createToken(message) {
    collectCard(message).then(function (typed) {
      if (typed.error) {
        reply(message, typed);
        return;
      }
      var card = Object.assign({}, message.data || {}, typed.card);
      if (typed.postal && !card.address_zip) {
        card.address_zip = typed.postal;
      }
      api('POST', '/v1/tokens', {card: card}).then(function (body) {
        reply(message, body.error ? {error: body.error} : {token: body});
      });
    });
  }
})();
