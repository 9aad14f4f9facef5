// Reading the server's request schemas (context.schemas): the names and bounds a page
// shows come from the models that check them, so none is typed twice.

/**
 * The sub-schema at `path` of a request's params: field(schemas, "conv1d.run", "signal")
 * or field(schemas, "arch.table", "pattern.n"). A step walks `properties`, then the
 * members of `anyOf` (the first that has the step), then `prefixItems`/`items` by index.
 */
export function field(schemas, type, path) {
  let node = schemas[type];
  if (!node) throw new Error(`no schema for request ${type}`);
  for (const step of String(path).split(".")) {
    const next = child(node, step);
    if (!next) throw new Error(`${type} has no field ${path}`);
    node = next;
  }
  return node;
}

function child(node, step) {
  if (node.properties?.[step]) return node.properties[step];
  if (/^\d+$/.test(step)) {
    const i = Number(step);
    if (node.prefixItems?.[i]) return node.prefixItems[i];
    if (node.items) return node.items;
  }
  for (const option of node.anyOf ?? []) {
    const found = child(option, step);
    if (found) return found;
  }
  return null;
}

/** The names a field accepts: its enum, or the enum of the first anyOf member that has one. */
export function names(schema) {
  if (schema.enum) return schema.enum;
  const option = (schema.anyOf ?? []).find((o) => o.enum);
  if (!option) throw new Error("the field names no choices");
  return option.enum;
}
