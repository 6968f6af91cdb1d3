// i18n.js - the words of the pages, through one function.
//
// A minimal stand-in (account deletion needed it before the translation work
// landed): t(text, params) returns the English text with each {name} replaced
// by params.name. The full module, with Spanish, replaces this file.

export function t(text, params) {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}
