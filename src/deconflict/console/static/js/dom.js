// Building DOM nodes without HTML strings: every text goes in as text, never as markup.

export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") element.className = value;
    else if (key === "text") element.textContent = value;
    else if (key === "dataset") Object.assign(element.dataset, value);
    else if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

export function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

/** Focus `button` in a list that is one Tab stop: it alone takes Tab, its arrows move in the list. */
export function rove(list, button) {
  for (const other of list.querySelectorAll("button")) other.tabIndex = other === button ? 0 : -1;
  button.focus();
}

/** Load a classic script of this origin once (a vendored library needed only by some views). */
const loaded = new Map();
export function loadScript(src) {
  if (!loaded.has(src)) {
    loaded.set(src, new Promise((resolve, reject) => {
      const script = h("script", { src, onload: resolve, onerror: () => reject(new Error(`cannot load ${src}`)) });
      document.head.append(script);
    }));
  }
  return loaded.get(src);
}
