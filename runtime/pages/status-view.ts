import { html, raw } from 'hono/html';
import type { RepoResponse } from '../../lib/repos/schemas.ts';
import { count, duration, relative, utc } from './format.ts';
import { PAGE_STYLE } from './page-style.ts';
import type { StatusLinks } from './status-index.ts';
import type { FinishedRun, RateLimitState, RunningRun, StatusReport, SyncState } from './status-report.ts';

/**
 * The status page, rendered on the server with Hono's html template (which escapes every
 * interpolated value): plain HTML and one inline stylesheet, no script, readable on a phone.
 */
type Html = ReturnType<typeof html>;

export function statusPage(report: StatusReport, links: StatusLinks): Html {
  const now = new Date(report.generatedAt);
  return layout(html`
    ${summaryCards(report, now)}
    <h2>Sync</h2>
    ${syncFacts(report.sync, links, now)}
    <h2 id="repositories">Repositories</h2>
    ${repositories(report, now)}
  `, links, now);
}

/** The page shown instead when the database cannot be reached (status 503). */
export function unavailablePage(links: StatusLinks, now: Date): Html {
  return layout(html`<p class="notice" role="alert">The database is not reachable right now, so there is nothing to show. This page
    will work again once it is back; <a href="${links.ready}">${links.ready}</a> says when.</p>`, links, now);
}

function layout(content: Html, links: StatusLinks, now: Date): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>repo-monitor status</title>
<link rel="icon" href="data:,">
<style>${raw(PAGE_STYLE)}</style>
</head>
<body>
<header>
  <h1>repo-monitor</h1>
  <p>Tracked GitHub repositories, served from a cache. As of ${timeAt(now)}.</p>
</header>
<main>${content}</main>
<footer>
  <ul>
    <li><a href="${links.docs}">API docs</a></li>
    <li><a href="${links.openapi}">OpenAPI document</a></li>
    <li><a href="${links.repos}">Repositories as JSON</a></li>
    <li><a href="${links.syncRuns}">Sync runs</a></li>
    <li>${links.metrics ? html`<a href="${links.metrics}">Metrics</a>` : 'Metrics: on the metrics port'}</li>
    <li><a href="${links.health}">Liveness</a></li>
    <li><a href="${links.ready}">Readiness</a></li>
  </ul>
</footer>
</body>
</html>`;
}

/** A time as "4 min ago", with the exact UTC time for machines and on hover. */
const timeAgo = (iso: string, now: Date) => html`<time datetime="${iso}" title="${utc(new Date(iso))}">${relative(new Date(iso), now)}</time>`;
const timeAt = (date: Date) => html`<time datetime="${date.toISOString()}">${utc(date)}</time>`;

function summaryCards(report: StatusReport, now: Date): Html {
  const { repositories: repos, sync } = report;
  const budget = sync.rateLimit;
  return html`<section class="cards" aria-label="Summary">
    ${card('Tracked', String(repos.tracked), 'repositories')}
    ${card('Stale', String(repos.stale), `not confirmed for ${duration(repos.staleAfterSeconds)}`)}
    ${card('Oldest data', repos.oldestSyncAgeSeconds === null ? '–' : duration(repos.oldestSyncAgeSeconds), 'since its last sync')}
    ${budget
      ? card('Rate-limit budget', `${budget.remaining} / ${budget.limit}`, budgetNote(budget, now))
      : card('Rate-limit budget', 'unknown', 'until GitHub answers a sync')}
  </section>`;
}

/** When the window resets, and how old the figure is: it comes from the last run that saw it. */
function budgetNote(budget: RateLimitState, now: Date): Html {
  const reset = new Date(budget.resetAt) > now ? html`resets ${timeAgo(budget.resetAt, now)}` : html`window reset ${timeAgo(budget.resetAt, now)}`;
  return html`${reset}; as of ${timeAgo(budget.reportedAt, now)}`;
}

const card = (label: string, value: string, note: string | Html) =>
  html`<div class="card"><span class="label">${label}</span><span class="value">${value}</span><span class="note">${note}</span></div>`;

function syncFacts(sync: SyncState, links: StatusLinks, now: Date): Html {
  return html`<dl class="facts">
    <dt>Running now</dt>
    <dd>${sync.running ? runningNow(sync.running, now) : 'no'}</dd>
    <dt>Last run</dt>
    <dd>${sync.lastRun ? lastRun(sync.lastRun, now) : 'none yet'}</dd>
    <dt>Next run</dt>
    <dd>${sync.nextRunAt ? html`${timeAgo(sync.nextRunAt, now)} (${utc(new Date(sync.nextRunAt))})` : 'not scheduled'} · schedule
      <code>${sync.schedule}</code></dd>
    <dt>Last refresh</dt>
    <dd>${sync.lastRefreshAt ? html`${timeAgo(sync.lastRefreshAt, now)}, the most recent confirmation of a repository` : 'never'}</dd>
  </dl>
  <p><a href="${links.syncRuns}">Every recent run</a></p>`;
}

function runningNow(run: RunningRun, now: Date): Html {
  const progress = run.due === null ? '' : html`, ${run.done} of ${run.due} repositories done`;
  const end = run.expectedFinishAt ? html`, expected to end ${timeAgo(run.expectedFinishAt, now)}` : '';
  return html`<span class="badge ok">running</span> <a href="${run.href}">${run.id}</a> since ${timeAgo(run.startedAt, now)}${progress}${end}`;
}

const RUN_BADGE: Record<FinishedRun['state'], string> = { succeeded: 'ok', partial: 'stale', failed: 'failed' };

function lastRun(run: FinishedRun, now: Date): Html {
  const stopped = run.stoppedBy === 'done' ? '' : html` (stopped: ${run.stoppedBy.replace('_', ' ')})`;
  return html`<span class="badge ${RUN_BADGE[run.state]}">${run.state}</span> <a href="${run.href}">${run.id}</a>
    ${timeAgo(run.finishedAt, now)}, by ${run.trigger}: ${run.refreshed} refreshed, ${run.failed} failed, ${run.requestsSpent}
    requests in ${seconds(run.durationMs)}${stopped}`;
}

/** 1234 ms → "1.2 s"; longer runs in the coarser units of duration(). */
const seconds = (ms: number) => (ms < 60_000 ? `${(ms / 1000).toFixed(1)}\u00a0s` : duration(ms / 1000));

function repositories(report: StatusReport, now: Date): Html {
  const { listed, tracked } = report.repositories;
  if (listed === null) {
    return html`<p class="notice">Reading repositories needs a token on this service, so they are not listed here; the API
      lists them with <code>Authorization: Bearer &lt;token&gt;</code>.</p>`;
  }
  if (listed.length === 0) return html`<p class="notice">No repository is tracked yet: add one with <code>POST /repos</code>.</p>`;
  const more = tracked > listed.length ? html`<p>${listed.length} of ${tracked} shown, by name; the API lists them all.</p>` : '';
  return html`<table>
    <thead><tr><th>Repository</th><th class="num">Stars</th><th class="num">Forks</th><th class="num">Open issues</th>
      <th>Language</th><th>Freshness</th></tr></thead>
    <tbody>${listed.map((repo) => repoRow(repo, now))}</tbody>
  </table>${more}`;
}

function repoRow(repo: RepoResponse, now: Date): Html {
  const stats = repo.stats;
  const url = stats && /^https?:\/\//.test(stats.htmlUrl) ? stats.htmlUrl : null;
  const number = (value: number | undefined) => (value === undefined ? '–' : count(value));
  return html`<tr>
    <td class="repo">${url ? html`<a class="name" href="${url}">${repo.fullName}</a>` : html`<strong class="name">${repo.fullName}</strong>`}
      ${stats?.description ? html`<span class="description">${stats.description}</span>` : ''}
      ${repo.tags.length > 0 ? html`<span class="tags">${repo.tags.map((tag) => html`<span class="tag">${tag}</span>`)}</span>` : ''}</td>
    <td class="num" data-label="Stars">${number(stats?.stars)}</td>
    <td class="num" data-label="Forks">${number(stats?.forks)}</td>
    <td class="num" data-label="Open issues">${number(stats?.openIssues)}</td>
    <td data-label="Language">${stats?.language ?? '–'}</td>
    <td data-label="Freshness">${freshness(repo, now)}</td>
  </tr>`;
}

function freshness(repo: RepoResponse, now: Date): Html {
  const { status, stale, lastSyncedAt } = repo.sync;
  const synced = lastSyncedAt ? html`<span class="age">synced ${timeAgo(lastSyncedAt, now)}</span>` : '';
  if (status === 'pending') return html`<span class="badge pending">never synced</span>`;
  if (status === 'gone') return html`<span class="badge gone">gone upstream</span>${synced}`;
  return html`<span class="badge ${stale ? 'stale' : 'ok'}">${stale ? 'stale' : 'fresh'}</span>${synced}`;
}
