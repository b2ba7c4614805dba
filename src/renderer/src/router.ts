/**
 * A tiny hash router: `#/` the runner, `#/history`, `#/about`, `#/trace?file=<path>`. The query string
 * before the hash (web mode's `?token=…`) is left alone.
 */
import { computed, ref } from 'vue';

export type RouteName = 'run' | 'history' | 'about' | 'trace';

const hash = ref(window.location.hash);
window.addEventListener('hashchange', () => (hash.value = window.location.hash));

export const route = computed(() => {
  const [path = '', query = ''] = hash.value.replace(/^#/, '').split('?', 2);
  const params = new URLSearchParams(query);
  const name: RouteName = path === '/history' ? 'history' : path === '/about' ? 'about' : path === '/trace' ? 'trace' : 'run';
  return { name, params };
});

export function href(name: RouteName, params: Record<string, string> = {}): string {
  const query = new URLSearchParams(params).toString();
  return `#/${name === 'run' ? '' : name}${query ? `?${query}` : ''}`;
}

export function traceHref(file: string): string {
  return href('trace', { file });
}
