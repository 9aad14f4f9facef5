// Placeholder: being built (issue 4). Same face as every widget.
export const fields = () => [];
export const consistent = (state) => state;
export function mount() {
  return { update() {}, destroy() {}, inspect: () => ({}) };
}
