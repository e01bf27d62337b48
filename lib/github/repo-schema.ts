import { z } from 'zod';
import type { RepoStats } from '../repos/model.ts';

/**
 * The part of GitHub's `GET /repos/{owner}/{repo}` answer the service keeps, validated:
 * an upstream that sends a wrong shape must produce a clean failure, never a crash or a
 * record full of undefined. Unknown fields are ignored (GitHub adds fields over time).
 */
const count = z.number().int().min(0);

export const githubRepoSchema = z.object({
  name: z.string().min(1),
  full_name: z.string().min(3),
  owner: z.object({ login: z.string().min(1) }),
  html_url: z.string().min(1),
  description: z.string().nullable(),
  language: z.string().nullable(),
  stargazers_count: count,
  forks_count: count,
  open_issues_count: count,
  watchers_count: count,
  /** The real number of watchers; watchers_count is only a copy of stars (GitHub's legacy naming). */
  subscribers_count: count.optional(),
  default_branch: z.string().min(1),
  archived: z.boolean(),
  pushed_at: z.iso.datetime({ offset: true }).nullable(),
});

export type GitHubRepo = z.output<typeof githubRepoSchema>;

export function toRepoStats(repo: GitHubRepo): RepoStats {
  return {
    stars: repo.stargazers_count,
    forks: repo.forks_count,
    openIssues: repo.open_issues_count,
    watchers: repo.subscribers_count ?? repo.watchers_count,
    language: repo.language,
    description: repo.description,
    defaultBranch: repo.default_branch,
    archived: repo.archived,
    pushedAt: repo.pushed_at === null ? null : new Date(repo.pushed_at),
    htmlUrl: repo.html_url,
  };
}
