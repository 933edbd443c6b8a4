// What each of the dashboard's per-namespace views is built on: informers of one namespace,
// started together, and listeners told of changes a moment after a burst of them begins.
import { Informer } from '../kube/informer.js';
import { apiListWatch } from '../kube/list-watch.js';
import type { KubeObject } from '../kube/object.js';
import type { ApiResource } from '../kube/resource.js';
import type { RestClient } from '../kube/rest.js';

// Coalesces the bursts a single change causes (RS scale, then pods, then status) into one push.
const NOTIFY_DELAY_MS = 150;

export abstract class NamespaceInformers<Listener> {
  protected readonly listeners = new Set<Listener>();
  private readonly informers: Informer<KubeObject>[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly namespace: string,
    private readonly client: RestClient,
    private readonly onError: (error: Error) => void,
    private readonly syncTimeoutMs: number,
  ) {}

  /** A new informer of this namespace, started and stopped with the others. */
  protected informer<T extends KubeObject>(resource: ApiResource): Informer<T> {
    const informer = new Informer<T>(apiListWatch<T>(this.client, resource, { namespace: this.namespace }), {
      onError: this.onError,
    });
    this.informers.push(informer as unknown as Informer<KubeObject>);
    return informer;
  }

  async start(): Promise<void> {
    for (const inf of this.informers) inf.start();
    await Promise.all(this.informers.map((inf) => inf.waitForSync(this.syncTimeoutMs)));
  }

  stop(): void {
    for (const inf of this.informers) inf.stop();
    if (this.timer) clearTimeout(this.timer);
    this.listeners.clear();
  }

  /** Runs `notify` NOTIFY_DELAY_MS after the first change of a burst (once for the burst). */
  protected notifySoon(notify: () => void): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      notify();
    }, NOTIFY_DELAY_MS);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
