// Small DOM helpers. All text from the API goes through text nodes (never innerHTML),
// so a facility called `<img src=x onerror=alert(1)>` is shown as those characters.

/**
 * Creates an element. `attrs`: `class`, `text` (textContent), `dataset` (object),
 * `on<event>` (function, added with addEventListener), anything else as an attribute
 * (skipped when null/false; `true` gives an empty attribute). Children: nodes or strings
 * (strings become text nodes), nested arrays allowed, null/false skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on')) {
      if (typeof value !== 'function') throw new TypeError(`${key} must be a function`);
      el.addEventListener(key.slice(2), value);
    } else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function $$(selector, root = document) {
  return Array.from(root.querySelectorAll(selector));
}

/** A `tel:` link; the href keeps only digits and a leading +. */
export function telLink(phone) {
  const digits = String(phone).replace(/[^0-9+]/g, '').replace(/(?!^)\+/g, '');
  return digits ? h('a', { href: `tel:${digits}`, class: 'tel' }, String(phone)) : String(phone);
}
