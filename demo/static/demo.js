// The simulate page: buttons post with fetch (their forms work without it too), and the state
// is polled and drawn. Every text from the server is set with textContent, never as HTML.
(function () {
  'use strict';
  var script = document.currentScript;
  var stateUrl = script.getAttribute('data-state');
  var message = document.getElementById('message');

  function cell(row, text, cls) {
    var td = document.createElement('td');
    td.textContent = text === null || text === undefined ? '' : String(text);
    if (cls) td.className = cls;
    row.appendChild(td);
  }

  function table(id, rows, columns) {
    var body = document.querySelector('#' + id + ' tbody');
    body.replaceChildren();
    rows.forEach(function (item) {
      var tr = document.createElement('tr');
      columns.forEach(function (col) {
        var value = typeof col === 'function' ? col(item) : item[col];
        var cls = /^(ACTIVE|PAUSED|in_stock|low_stock|out_of_stock|preorder)$/.test(String(value))
          ? 'tag ' + value : '';
        cell(tr, value, cls);
      });
      body.appendChild(tr);
    });
  }

  function list(id, items, text) {
    var ul = document.getElementById(id);
    ul.replaceChildren();
    items.forEach(function (item) {
      var li = document.createElement('li');
      li.textContent = text(item);
      ul.appendChild(li);
    });
  }

  function draw(state) {
    table('skus', state.skus, ['sku', 'name', 'available', 'shopify', 'woocommerce',
      'badge_shopify', 'badge_woocommerce', 'eta']);
    table('ads', state.ads, ['platform', 'name', 'level', 'sku', 'status']);
    table('restocks', state.restocks, ['reference', 'sku', 'quantity', 'expected_on', 'status']);
    table('at-risk', state.at_risk, ['sku', 'days_of_cover', 'stockout_on', 'order_quantity']);
    list('alerts', state.alerts.length ? state.alerts : [null], function (a) {
      return a ? a.opened_at + '  ' + a.sku + ' – ' + a.condition + (a.details ? ' (' + a.details + ')' : '')
        : 'no open alert';
    });
    list('events', state.events, function (e) { return e.at + '  ' + e.text; });
    list('activity', state.activity, function (e) { return e.at + '  ' + e.message; });
  }

  function poll() {
    fetch(stateUrl, { headers: { Accept: 'application/json' } })
      .then(function (r) { return r.json(); })
      .then(draw)
      .catch(function () { /* the next poll tries again */ })
      .finally(function () { setTimeout(poll, 2000); });
  }

  document.querySelectorAll('form[data-action]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var buttons = form.querySelectorAll('button');
      buttons.forEach(function (b) { b.disabled = true; });
      message.textContent = 'working…';
      fetch(form.action, {
        method: 'POST',
        body: new FormData(form),
        headers: { Accept: 'application/json' },
        credentials: 'same-origin'
      })
        .then(function (r) { return r.json(); })
        .then(function (body) {
          message.textContent = body.error ? 'Refused: ' + body.error : body.message;
          if (body.state) draw(body.state);
        })
        .catch(function (e) { message.textContent = 'Failed: ' + e; })
        .finally(function () { buttons.forEach(function (b) { b.disabled = false; }); });
    });
  });
  poll();
})();
