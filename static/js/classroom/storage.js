// What this browser keeps of the class (localStorage, per origin): the device's own id, the class
// a student joined (with "exploring on my own" and a nickname), and the instructor's code and key.
// The key is never put in an address or on the page; it goes only to the server, in class.* messages.

const DEVICE = "convscope.class.device";
const MEMBER = "convscope.class.member"; // {code, nickname, exploring}
const TEACH = "convscope.class.teach"; // {code, key}
const FOLLOWED = "convscope.class.followed"; // this tab: the path the class last took it to

function read(key, store = localStorage) {
  try {
    return JSON.parse(store.getItem(key) ?? "null");
  } catch {
    return null;
  }
}

function write(key, value, store = localStorage) {
  try {
    if (value == null) store.removeItem(key);
    else store.setItem(key, JSON.stringify(value));
  } catch {
    // Storage refused (a private window's quota): the class still works for this page's life.
  }
}

/** This device's id: 32 hex digits from the browser's random source, made once (no secure context needed). */
export function deviceId() {
  let id = read(DEVICE);
  if (typeof id !== "string" || !/^[0-9a-f]{32}$/.test(id)) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    id = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    write(DEVICE, id);
  }
  return id;
}

export const member = () => read(MEMBER);
export const setMember = (value) => write(MEMBER, value);
export const teacher = () => read(TEACH);
export const setTeacher = (value) => write(TEACH, value);
export const followed = () => read(FOLLOWED, sessionStorage);
export const setFollowed = (path) => write(FOLLOWED, path, sessionStorage);
