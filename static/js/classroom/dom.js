// Small DOM helpers the classroom's parts share.

/** Text as HTML (every value from the server or a student goes through this, or into textContent). */
const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const escapeHtml = (text) => String(text ?? "").replace(/[&<>"']/g, (c) => ENTITIES[c]);

/** An element from markup (one root). */
export function element(html) {
  const template = document.createElement("template");
  template.innerHTML = html.trim();
  return template.content.firstElementChild;
}

/** The JSON a template put in <script type="application/json" id="…">, or null. */
export function readJson(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : null;
}

/** Negative numbers as the page writes them, with a real minus sign (a hyphen between words stays). */
export const minus = (text) => String(text).replace(/(^|[\s(])-(?=\d)/g, "$1\u2212");
