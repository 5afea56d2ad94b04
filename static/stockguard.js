/* StockGuard badges (docs/storefront.md). Ships as is: keep it under 4 KB gzipped. */
(() => {
  // Guarded entry points: on any failure the placeholders stay empty.
  const guard = (fn) => (...args) => new Promise((run) => run(fn(...args))).catch(() => {});

  // In KEYS order; settings.texts override them.
  const KEYS = 'in_stock low_stock out_of_stock preorder eta eta_soon notify email consent submit thanks error alternatives';
  const TEXTS = {
    en: 'In stock|Only {n} left|Sold out|Pre-order|Back around {date}|Back soon|' +
      'Notify me|E-mail or phone (+1…)|Yes, message me once when it is back|Send|' +
      'Thanks, we will let you know.|Please try again later.|Also available:',
    fr: 'En stock|Plus que {n}|Épuisé|Précommande|De retour vers le {date}|' +
      'Bientôt de retour|Me prévenir|E-mail ou téléphone (+33…)|' +
      'Oui, prévenez-moi une fois à son retour|Envoyer|Merci, nous vous préviendrons.|' +
      'Réessayez plus tard.|Aussi disponible :',
    ar: 'متوفر|بقي {n} فقط|نفد المخزون|طلب مسبق|يعود حوالي {date}|يعود قريبًا|أعلمني|' +
      'البريد أو الهاتف (+971…)|نعم، أعلموني عند توفره|إرسال|' +
      'شكرًا، سنعلمك.|حاول مرة أخرى لاحقًا.|متوفر أيضًا:',
  };
  const CSS = '.sg-l{height:1.6em;line-height:1.6em;overflow:hidden;white-space:nowrap;' +
    'text-overflow:ellipsis}.sg-l button{font:inherit;color:inherit;border:0;padding:0;' +
    'background:none;text-decoration:underline}.sg-f label{display:block}' +
    '.sg-n{position:fixed;inset:0 0 auto;z-index:99999;padding:.5em;background:#222;color:#fff}';

  const script =
    document.currentScript || document.querySelector('script[data-shop][src*="stockguard"]');
  if (!script || window.StockGuard) return;
  const shop = script.dataset.shop;
  const api = (script.dataset.api || '').replace(/\/+$/, '');
  const lang = document.documentElement.lang.slice(0, 2).toLowerCase() || 'en';
  const builtin = (TEXTS[lang] || TEXTS.en).split('|');
  let texts = {};
  KEYS.split(' ').forEach((key, i) => (texts[key] = builtin[i]));
  const data = { variants: {}, products: {}, settings: {} };
  let style, banner;

  async function request(path, init) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 3000);
    try {
      const res = await fetch(api + path, { ...init, signal: abort.signal });
      return { status: res.status, body: await res.json() };
    } finally {
      clearTimeout(timer);
    }
  }

  // ids: [[kind, id], …]; ≤ 50 per request.
  async function load(ids) {
    const requests = [];
    for (let i = 0; i < ids.length; i += 50) {
      const query = { shop };
      for (const [kind, id] of ids.slice(i, i + 50)) query[kind] = [...(query[kind] || []), id];
      requests.push(request('/availability?' + new URLSearchParams(query)).catch(() => ({})));
    }
    for (const { status, body } of await Promise.all(requests)) {
      if (status !== 200) continue;
      Object.assign(data.variants, body.variants);
      Object.assign(data.products, body.products);
      data.settings = body.settings || {};
      data.notice = body.notice;
    }
    texts = { ...texts, ...(data.settings.texts || {})[lang] };
  }

  // Never innerHTML: titles and merchant texts may hold markup.
  function node(tag, text, className) {
    const el = document.createElement(tag);
    el.textContent = text || '';
    if (className) el.className = className;
    return el;
  }

  // [item, variant id]; a card shows its product's only variant.
  function itemOf(el) {
    const { sgVariant, sgProduct } = el.dataset;
    if (sgVariant) return [data.variants[sgVariant], sgVariant];
    const product = data.products[sgProduct];
    const only = product && product.variants.length === 1 && product.variants[0];
    return data.variants[only] ? [data.variants[only], only] : [product];
  }

  function badge(item) {
    const n = item.quantity;
    let key = item.state;
    if (n > 0 && /^(in|low)_stock$/.test(key)) key = 'low_stock';
    // No number: say in stock (in the low-stock colour).
    else if (key === 'low_stock' && texts.low_stock.includes('{n}')) key = 'in_stock';
    if (!texts[key]) return null;
    let text = texts[key].replace('{n}', n);
    const date = new Date(item.eta + 'T00:00:00Z');
    if (item.eta_soon) text += ' · ' + texts.eta_soon;
    else if (date > 0) {
      // A calendar date: UTC (local time shows the day before in the west).
      const day = date.toLocaleDateString(lang, { day: 'numeric', month: 'short', timeZone: 'UTC' });
      text += ' · ' + texts.eta.replace('{date}', day);
    }
    const line = node('div', text, 'sg-l');
    line.setAttribute('role', 'status');
    line.style.color = (data.settings.colors || {})[item.state] || '';
    return line;
  }

  function notifyLine(variant) {
    const line = node('div', '', 'sg-l');
    const open = node('button', texts.notify);
    open.type = 'button';
    open.onclick = guard(() => {
      const form = notifyForm(variant);
      line.replaceWith(form); // grows on a click: no layout shift
      form.contact.focus();
    });
    line.append(open);
    return line;
  }

  function notifyForm(variant) {
    const form = node('form', '', 'sg-f');
    const contact = node('input');
    const consent = node('input');
    // The browser checks these.
    Object.assign(contact, { name: 'contact', required: true });
    contact.pattern = '[^@\\s]+@[^@\\s]+\\.[^@\\s]+|\\+[0-9 ]{7,20}';
    Object.assign(consent, { type: 'checkbox', required: true });
    const labels = [node('label', texts.email + ' '), node('label')];
    labels[0].append(contact);
    labels[1].append(consent, ' ' + texts.consent);
    const message = node('div');
    message.setAttribute('aria-live', 'polite');
    form.append(...labels, node('button', texts.submit), message);
    form.onsubmit = guard(async (event) => {
      event.preventDefault();
      const value = contact.value.trim();
      const body = JSON.stringify({
        shop,
        variant,
        contact: value[0] === '+' ? value.replace(/ /g, '') : value,
        consent: consent.checked,
        locale: lang,
      });
      // ?shop= for the CORS preflight (no body).
      const answer = await request('/notify?' + new URLSearchParams({ shop }), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
      }).catch(() => ({ body: {} }));
      const ok = answer.status < 300;
      if (ok) form.replaceChildren(message);
      message.textContent = ok ? texts.thanks : answer.body.error || texts.error;
    });
    return form;
  }

  function alternativesLine(list) {
    const line = node('div', texts.alternatives, 'sg-l');
    let count = 0;
    for (const alt of list.slice(0, 3)) {
      const link = node('a', alt.title);
      link.href = alt.url;
      // http(s) only: no javascript: links
      if (alt.title && /^https?:$/.test(link.protocol)) line.append(count++ ? ' · ' : ' ', link);
    }
    return count && line;
  }

  // By importance; render() keeps those reserved.
  function linesFor(el) {
    const [item, variant] = itemOf(el);
    if (!item) return [];
    const alternatives = item.alternatives || [];
    return [
      badge(item),
      item.notify && variant && notifyLine(variant),
      alternatives.length && alternativesLine(alternatives),
    ].filter(Boolean);
  }

  function render(el) {
    if (lang === 'ar') el.dir = 'rtl';
    el.replaceChildren(...linesFor(el).slice(0, el.dataset.sgLines || 1));
  }

  // Follow the variant picker: `id` (Shopify), `variation_id` (Woo) or ?variant=.
  function follow(id) {
    for (const el of document.querySelectorAll('.stockguard[data-sg-variant]')) {
      const product = data.products[el.dataset.sgProduct];
      if (!product || !product.variants.includes(id)) continue;
      el.dataset.sgVariant = id;
      // Grow on input (no layout shift); never shrink.
      const needed = linesFor(el).length;
      if (needed > el.dataset.sgLines) {
        el.dataset.sgLines = needed;
        el.style.minHeight = needed * 1.6 + 'em';
      }
      render(el);
    }
  }

  function onChange(event) {
    const form = event.target.closest('form[action*="/cart/add"],form.variations_form');
    // After the theme's own handler.
    if (form) setTimeout(guard(() => {
      const field = form.querySelector('[name=id],[name=variation_id]');
      follow((field && field.value) || new URLSearchParams(location.search).get('variant'));
    }), 50);
  }

  async function refresh() {
    const placeholders = document.querySelectorAll(
      '.stockguard[data-sg-product],.stockguard[data-sg-variant]');
    const ids = {};
    for (const el of placeholders) {
      const { sgProduct, sgVariant } = el.dataset;
      const id = sgProduct ? ['products', sgProduct] : ['variants', sgVariant];
      if (/^\d{1,20}$/.test(id[1])) ids[id] = id;
    }
    if (!Object.keys(ids).length) return;
    await load(Object.values(ids));
    style = style || document.head.appendChild(node('style', CSS));
    placeholders.forEach(guard(render));
    // Alert mode: a fixed banner moves nothing.
    banner?.remove();
    if (data.notice) {
      banner = document.body.appendChild(node('div', data.notice, 'sg-n'));
      banner.setAttribute('role', 'status');
    }
  }

  window.StockGuard = { refresh: guard(refresh) };
  document.addEventListener('change', guard(onChange));
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', window.StockGuard.refresh);
  } else {
    window.StockGuard.refresh();
  }
})();
