import { createHash } from 'node:crypto'

/**
 * The docs page's only style sheet and script, inline: the page is opened offline, from a file
 * or from `/docs`, and loads nothing from anywhere.
 */

export const PAGE_STYLE = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa; --side: #f6f8fa;
  --accent: #0969da; --code: #eff2f5;
  --get: #0969da; --post: #1a7f37; --patch: #9a6700; --delete: #cf222e;
  --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #30363d; --soft: #151b23; --side: #010409;
    --accent: #4493f8; --code: #1f2630;
    --get: #4493f8; --post: #3fb950; --patch: #d29922; --delete: #f85149;
  }
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
html { scroll-padding-top: 16px; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code { font-family: var(--mono); font-size: 0.86em; background: var(--code); padding: 0.1em 0.35em; border-radius: 4px; overflow-wrap: anywhere; }
.layout { display: flex; min-height: 100vh; }
.sidebar { position: sticky; top: 0; align-self: flex-start; width: 280px; flex: none; height: 100vh; overflow-y: auto; background: var(--side); border-right: 1px solid var(--line); padding: 20px 16px 32px; }
.brand { font-weight: 700; font-size: 17px; overflow-wrap: anywhere; }
.brand small { display: block; font-weight: 400; font-size: 13px; color: var(--muted); }
.sidebar input { width: 100%; margin: 14px 0 10px; padding: 7px 10px; font: inherit; font-size: 14px; color: var(--fg); background: var(--bg); border: 1px solid var(--line); border-radius: 6px; }
.sidebar nav > a { display: block; padding: 4px 6px; font-weight: 600; color: var(--fg); }
.nav-group { margin-top: 10px; }
.nav-group > a { display: block; padding: 4px 6px; font-weight: 600; color: var(--fg); overflow-wrap: anywhere; }
.nav-group ul { list-style: none; margin: 0; padding: 0 0 0 4px; }
.nav-group li a { display: flex; gap: 8px; align-items: baseline; padding: 2px 6px; border-radius: 4px; color: var(--fg); font-size: 13.5px; }
.nav-group li a:hover { background: var(--code); text-decoration: none; }
.nav-group li a span:last-child { overflow-wrap: anywhere; }
main { flex: 1; min-width: 0; max-width: 1040px; padding: 28px 40px 80px; }
h1 { font-size: 30px; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 23px; margin: 48px 0 8px; padding-top: 8px; border-top: 1px solid var(--line); overflow-wrap: anywhere; }
h3 { font-size: 17px; margin: 0; }
h4 { font-size: 13px; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); margin: 18px 0 6px; }
.subtitle { color: var(--muted); margin: 0 0 16px; }
.muted { color: var(--muted); font-size: 14px; }
.op { border: 1px solid var(--line); border-radius: 8px; margin: 18px 0; background: var(--bg); overflow: hidden; }
.op > header { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; padding: 10px 14px; background: var(--soft); border-bottom: 1px solid var(--line); }
.op > header .path { font-size: 14px; background: none; padding: 0; font-weight: 600; }
.op > header .opid { margin-left: auto; color: var(--muted); font-family: var(--mono); font-size: 12px; }
.op-body { padding: 12px 14px 14px; }
.op-body > p:first-of-type { margin-top: 6px; }
.m { display: inline-block; min-width: 54px; text-align: center; font: 700 11px/1 var(--mono); padding: 4px 6px; border-radius: 4px; color: #fff; flex: none; }
.nav-group .m { min-width: 44px; font-size: 10px; padding: 3px 4px; }
.m.get { background: var(--get); } .m.post { background: var(--post); } .m.patch { background: var(--patch); } .m.delete { background: var(--delete); }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13.5px; margin: 4px 0 8px; }
th { text-align: left; font-weight: 600; color: var(--muted); font-size: 12px; border-bottom: 1px solid var(--line); padding: 6px 8px; }
td { border-bottom: 1px solid var(--line); padding: 6px 8px; vertical-align: top; }
tbody tr:nth-child(even) td { background: var(--soft); }
td.name code { background: none; padding: 0; font-weight: 600; color: var(--fg); white-space: nowrap; overflow-wrap: normal; }
td.type { font-family: var(--mono); font-size: 12.5px; white-space: nowrap; }
td.constraints { font-size: 12.5px; color: var(--muted); }
td.desc p { margin: 0; }
.req { color: var(--delete); font-size: 12px; font-weight: 600; }
.opt { color: var(--muted); font-size: 12px; }
.status { font: 700 12.5px var(--mono); }
.media { font-size: 11px; }
.s2 { color: var(--post); } .s4 { color: var(--patch); } .s5 { color: var(--delete); }
details { margin: 6px 0; border: 1px solid var(--line); border-radius: 6px; padding: 4px 10px; }
details > summary { cursor: pointer; font-size: 13.5px; padding: 2px 0; }
.schema { margin: 16px 0 24px; }
.schema h3 code { font-size: 16px; }
footer { margin-top: 56px; color: var(--muted); font-size: 12.5px; }
@media (max-width: 820px) {
  .layout { display: block; }
  .sidebar { position: static; width: auto; height: auto; border-right: none; border-bottom: 1px solid var(--line); }
  main { padding: 20px 16px 60px; }
}
`

/** Filters the sidebar and the operations by what the box holds; without scripts, everything stays listed. */
export const PAGE_SCRIPT = `
(function () {
  var box = document.getElementById('filter');
  if (!box) return;
  box.hidden = false;
  box.addEventListener('input', function () {
    var query = box.value.trim().toLowerCase();
    document.querySelectorAll('[data-search]').forEach(function (el) {
      el.hidden = query !== '' && el.getAttribute('data-search').indexOf(query) < 0;
    });
    document.querySelectorAll('[data-group]').forEach(function (group) {
      group.hidden = query !== '' && !group.querySelector('[data-search]:not([hidden])');
    });
  });
})();
`

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`

/**
 * The page's Content-Security-Policy: nothing from the network, and only this style sheet and this
 * script (by hash), so even markup that slipped past escaping could not run or load anything.
 */
export const PAGE_CSP = `default-src 'none'; style-src ${sha256(PAGE_STYLE)}; script-src ${sha256(PAGE_SCRIPT)}; img-src data:; base-uri 'none'; form-action 'none'`
