import { createHash } from 'node:crypto';

/**
 * The status page's stylesheet, inline so the page is one request, and allowed by its hash
 * in the Content-Security-Policy: the page runs no script at all and loads nothing else.
 * Below 640 px wide each table row becomes a card whose cells carry their own labels, the
 * numbers side by side.
 */
export const PAGE_STYLE = `
:root { color-scheme: light dark; --bg: #f6f7f9; --card: #fff; --text: #1c2230; --muted: #5d6778; --line: #dde1e8;
  --ok: #1a7f37; --ok-bg: #dafbe1; --warn: #8a5a00; --warn-bg: #fff3cd; --bad: #b42318; --bad-bg: #fde7e7;
  --idle: #4b5565; --idle-bg: #eceff3; --link: #0b5cad; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #10141b; --card: #181e27; --text: #e6e9ef; --muted: #9aa4b5; --line: #2b3340;
    --ok: #6fdd8b; --ok-bg: #12341d; --warn: #f2c45a; --warn-bg: #3a2e0c; --bad: #ff8f85; --bad-bg: #44191a;
    --idle: #b6bfcc; --idle-bg: #262e3a; --link: #79b8ff; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--text); }
a { color: var(--link); }
header, main, footer { max-width: 72rem; margin: 0 auto; padding: 0 1rem; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: .25rem 1rem; padding-top: 1.25rem; }
header h1 { font-size: 1.5rem; margin: 0; }
header p { margin: 0; color: var(--muted); }
h2 { font-size: 1.1rem; margin: 1.75rem 0 .5rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(9.5rem, 1fr)); gap: .75rem; margin-top: 1rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: .5rem; padding: .75rem 1rem; }
.card .label { display: block; color: var(--muted); font-size: .85rem; }
.card .value { display: block; font-size: 1.5rem; font-weight: 600; }
.card .note { display: block; color: var(--muted); font-size: .85rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .35rem 1rem; margin: 0;
  background: var(--card); border: 1px solid var(--line); border-radius: .5rem; padding: .75rem 1rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
table { width: 100%; border-collapse: collapse; background: var(--card); border: 1px solid var(--line); border-radius: .5rem; overflow: hidden; }
th, td { text-align: left; padding: .5rem .75rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: .85rem; color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr:last-child td { border-bottom: 0; }
.repo .name { font-weight: 600; }
.tags { display: block; }
.description { display: block; color: var(--muted); font-size: .85rem; }
.tag { display: inline-block; font-size: .75rem; padding: 0 .4rem; margin: .15rem .25rem 0 0; border-radius: .75rem; background: var(--idle-bg); color: var(--idle); }
.badge { display: inline-block; white-space: nowrap; font-size: .8rem; font-weight: 600; padding: .05rem .5rem; border-radius: .75rem; }
.badge.ok { color: var(--ok); background: var(--ok-bg); }
.badge.stale { color: var(--warn); background: var(--warn-bg); }
.badge.gone, .badge.failed { color: var(--bad); background: var(--bad-bg); }
.badge.pending, .badge.idle { color: var(--idle); background: var(--idle-bg); }
.age { display: block; color: var(--muted); font-size: .8rem; }
.notice { background: var(--card); border: 1px solid var(--line); border-left: 4px solid var(--warn); border-radius: .5rem; padding: .75rem 1rem; }
footer { margin-top: 2rem; padding-bottom: 2rem; color: var(--muted); }
footer ul { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: .5rem 1.25rem; }
code { font-size: .9em; }
@media (max-width: 640px) {
  table, tbody, tr, td { display: block; width: 100%; }
  thead { display: none; }
  table { border: 0; background: none; }
  tr { background: var(--card); border: 1px solid var(--line); border-radius: .5rem; margin-bottom: .75rem; padding: .25rem 0; }
  td { border: 0; padding: .2rem .9rem; }
  td.num { display: inline-block; width: auto; padding-right: 0; }
  td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); font-size: .85rem; }
  .card .value { font-size: 1.25rem; white-space: nowrap; }
  dl.facts { grid-template-columns: 1fr; gap: 0; }
  dl.facts dd { margin-bottom: .4rem; }
}
`;

/**
 * The page's Content-Security-Policy: its inline style by hash, and nothing else; no script,
 * no frames, no form posts elsewhere. `data:` images for the empty favicon.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(PAGE_STYLE).digest('base64')}'`,
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');
