/**
 * A tiny hash router: `#/` the runner, `#/history`, `#/batch?id=<batch>`, `#/bugs?name=<bug>`, `#/about`,
 * `#/trace?file=<path>[&back=<a page's address>]`, `#/grading[?dir=<grade folder>]`. The query string before the hash (web mode's `?token=…`) is left alone.
 */
import { computed, ref } from 'vue';

export type RouteName = 'run' | 'history' | 'batch' | 'bugs' | 'about' | 'trace' | 'grading';

const names: readonly RouteName[] = ['history', 'batch', 'bugs', 'about', 'trace', 'grading'];

const hash = ref(window.location.hash);
window.addEventListener('hashchange', () => (hash.value = window.location.hash));

export const route = computed(() => {
  const [path = '', query = ''] = hash.value.replace(/^#/, '').split('?', 2);
  const params = new URLSearchParams(query);
  const name: RouteName = names.find((n) => path === `/${n}`) ?? 'run';
  return { name, params };
});

export function href(name: RouteName, params: Record<string, string> = {}): string {
  const query = new URLSearchParams(params).toString();
  return `#/${name === 'run' ? '' : name}${query ? `?${query}` : ''}`;
}

export function traceHref(file: string): string {
  return href('trace', { file });
}

export function go(name: RouteName, params: Record<string, string> = {}): void {
  window.location.hash = href(name, params);
}
