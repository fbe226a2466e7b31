import type { WhoAmI } from '../api.js';

/** One page of the console; `mount` fills `root` and returns what stops it (timers). */
export interface View {
  id: string;
  title: string;
  /** Any of these roles opens the view (the broker checks the same on every call). */
  roles: string[];
  mount(root: HTMLElement, who: WhoAmI): () => void;
}
