// LeNet-5 on MNIST digits: the training view (train.js) and the drawing pad (draw.js) as one
// widget sharing one run. `dgShow` picks the parts on screen, so a lesson can put the training
// in one place and the pad in another (two mounts of this widget share the page's run).
// Face: mount(element, {socket, run?, onChange(patch)}) -> {update(state), destroy(), inspect(), parts}.

import * as draw from "./draw.js";
import { runFor } from "./run.js";
import * as train from "./train.js";

const PARTS = { train, draw };

export function fields(context) {
  return [
    ...train.fields(context),
    ...draw.fields(context),
    { key: "dgShow", url: "show", type: "enum", options: ["both", "train", "draw"], def: "both" },
  ];
}

export const consistent = (state) => draw.consistent(train.consistent(state));

export function mount(element, context) {
  const run = context.run ?? runFor(context.socket);
  element.replaceChildren();
  const parts = {};
  const boxes = {};
  for (const [name, module] of Object.entries(PARTS)) {
    const box = (boxes[name] = document.createElement("div"));
    box.className = "digits-part";
    box.dataset.part = name;
    element.append(box);
    parts[name] = module.mount(box, { ...context, run });
  }
  // Ready once a snapshot has been drawn (the parts subscribed first, so they have drawn it).
  const unsubscribe = run.subscribe(({ snapshot }) => snapshot && (element.dataset.ready = "true"));
  return {
    parts,
    update(state) {
      for (const [name, part] of Object.entries(parts)) {
        boxes[name].hidden = ![name, "both"].includes(state.dgShow);
        part.update(state);
      }
    },
    destroy() {
      unsubscribe();
      Object.values(parts).forEach((p) => p.destroy());
      element.replaceChildren();
    },
    inspect: () => Object.fromEntries(Object.entries(parts).map(([name, p]) => [name, p.inspect()])),
  };
}
