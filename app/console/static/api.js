// The admin API as the console calls it: the token lives in sessionStorage (gone
// when the tab closes) and travels only in the Authorization header, never in a URL.
"use strict";

const KEY = "smshallAdminToken";

export class Unauthorised extends Error {}

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (value) => sessionStorage.setItem(KEY, value),
  forget: () => sessionStorage.removeItem(KEY),
};

async function call(path) {
  const value = token.get();
  if (!value) throw new Unauthorised("no admin token");
  const res = await fetch(path, {
    headers: { Authorization: "Bearer " + value },
    cache: "no-store",
    credentials: "omit",
  });
  if (res.status === 401) throw new Unauthorised("the admin token was refused");
  if (!res.ok) {
    const data = await res.json().catch(() => ({}));
    const detail = typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail ?? "");
    throw new Error(`HTTP ${res.status}: ${detail}`);
  }
  return res;
}

export async function getJson(path) {
  return (await call(path)).json();
}

// A file the API streams (CSV): fetched with the header, saved through a blob URL.
export async function download(path, filename) {
  const blob = await (await call(path)).blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
