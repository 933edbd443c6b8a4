import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../src/kube/api-error.js';
import {
  type CoreEvent,
  type EventCountUpdate,
  EventRecorder,
  type EventSink,
} from '../../../src/kube/events.js';
import type { KubeObject } from '../../../src/kube/object.js';
import { FakeClock } from './fake-clock.js';

class MemorySink implements EventSink {
  readonly events = new Map<string, CoreEvent>();
  readonly calls: string[] = [];

  async create(event: CoreEvent): Promise<CoreEvent> {
    this.calls.push(`create ${event.metadata.name}`);
    this.events.set(`${event.metadata.namespace}/${event.metadata.name}`, event);
    return event;
  }

  async patch(namespace: string, name: string, update: EventCountUpdate): Promise<CoreEvent> {
    this.calls.push(`patch ${name} count=${update.count}`);
    const existing = this.events.get(`${namespace}/${name}`);
    if (!existing) {
      throw new NotFoundError(
        { method: 'PATCH', path: `/api/v1/namespaces/${namespace}/events/${name}` },
        404,
        {
          kind: 'Status',
          reason: 'NotFound',
          message: `events "${name}" not found`,
        },
      );
    }
    const patched = { ...existing, ...update };
    this.events.set(`${namespace}/${name}`, patched);
    return patched;
  }
}

const rollout: KubeObject = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'web', namespace: 'shop', uid: 'uid-web', resourceVersion: '42' },
};

function newRecorder() {
  const clock = new FakeClock(Date.UTC(2025, 5, 1, 12, 0, 0));
  const sink = new MemorySink();
  const errors: string[] = [];
  const recorder = new EventRecorder({
    sink,
    clock,
    instance: 'slipway-0',
    onError: (e) => errors.push(e.message),
  });
  return { clock, sink, recorder, errors };
}

describe('EventRecorder', () => {
  it('creates a core/v1 Event referencing the object', async () => {
    const { sink, recorder } = newRecorder();
    await recorder.normal(rollout, 'RolloutUpdated', 'Rollout updated to revision 2');
    const [event] = [...sink.events.values()];
    expect(event).toMatchObject({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { namespace: 'shop' },
      involvedObject: {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Rollout',
        name: 'web',
        namespace: 'shop',
        uid: 'uid-web',
      },
      reason: 'RolloutUpdated',
      message: 'Rollout updated to revision 2',
      type: 'Normal',
      count: 1,
      firstTimestamp: '2025-06-01T12:00:00Z',
      lastTimestamp: '2025-06-01T12:00:00Z',
      source: { component: 'slipway-controller', host: 'slipway-0' },
      reportingComponent: 'slipway-controller',
      reportingInstance: 'slipway-0',
    });
    expect(event?.metadata.name).toMatch(/^web\.[0-9a-f]+$/);
  });

  it('aggregates repeats of the same object, reason and message into one Event', async () => {
    const { sink, recorder, clock } = newRecorder();
    await recorder.warning(rollout, 'RolloutAborted', 'Rollout aborted update to revision 3');
    await clock.advance(30_000);
    // Fired without awaiting each other (as in one reconcile): one patch, never a second create.
    await Promise.all([
      recorder.warning(rollout, 'RolloutAborted', 'Rollout aborted update to revision 3'),
      recorder.warning(rollout, 'RolloutAborted', 'Rollout aborted update to revision 3'),
    ]);
    expect(sink.events.size).toBe(1);
    const [event] = [...sink.events.values()];
    expect(event?.count).toBe(3);
    expect(event?.firstTimestamp).toBe('2025-06-01T12:00:00Z');
    expect(event?.lastTimestamp).toBe('2025-06-01T12:00:30Z');
    expect(sink.calls.map((c) => c.replace(/ web\.[0-9a-f]+/, ''))).toEqual(['create', 'patch count=3']);
  });

  it('writes an Event recorded several times in one reconcile once, with its count', async () => {
    const { sink, recorder } = newRecorder();
    const writes = [1, 2, 3].map(() => recorder.normal(rollout, 'RolloutStepCompleted', 'step 1/4'));
    await Promise.all(writes);
    expect(sink.calls.map((c) => c.split(' ')[0])).toEqual(['create']);
    expect([...sink.events.values()][0]?.count).toBe(3);
  });

  it('combines the 10th and later distinct messages of one reason into one Event, as client-go does', async () => {
    const { sink, recorder } = newRecorder();
    for (let i = 1; i <= 12; i++) await recorder.normal(rollout, 'ScalingReplicaSet', `Scaled to ${i}`);
    // 9 plain Events, then one combined Event created and patched twice.
    expect(sink.calls.map((c) => c.replace(/ web\.[0-9a-f]+/, ''))).toEqual([
      ...Array.from({ length: 9 }, () => 'create'),
      'create',
      'patch count=2',
      'patch count=3',
    ]);
    const combined = [...sink.events.values()].find((e) => e.message.startsWith('(combined'));
    expect(combined).toMatchObject({ message: '(combined from similar events): Scaled to 12', count: 3 });
  });

  it('with the spam filter on, drops writes beyond 25 per object and type until the bucket refills, but listeners hear all', async () => {
    const clock = new FakeClock(Date.UTC(2025, 5, 1, 12, 0, 0));
    const sink = new MemorySink();
    const recorder = new EventRecorder({ sink, clock, spamBurst: 25 });
    let heard = 0;
    recorder.addListener(() => {
      heard += 1;
    });
    for (let i = 0; i < 30; i++) await recorder.normal(rollout, `Reason${i % 3}`, `same ${i % 3}`);
    expect(sink.calls).toHaveLength(25);
    expect(heard).toBe(30);
    await recorder.warning(rollout, 'Other', 'a warning has its own bucket');
    expect(sink.calls).toHaveLength(26);
    await clock.advance(300_000);
    await recorder.normal(rollout, 'Reason0', 'same 0');
    expect(sink.calls).toHaveLength(27);
  });

  it('without the spam filter (the default) writes every Event', async () => {
    const { sink, recorder } = newRecorder();
    for (let i = 0; i < 40; i++) await recorder.normal(rollout, `Reason${i}`, 'message');
    expect(sink.calls).toHaveLength(40);
  });

  it('keeps different reasons, messages, types and objects apart', async () => {
    const { sink, recorder } = newRecorder();
    await recorder.normal(rollout, 'RolloutStepCompleted', 'Rollout step 1/3 completed');
    await recorder.normal(rollout, 'RolloutStepCompleted', 'Rollout step 2/3 completed');
    await recorder.warning(rollout, 'RolloutStepCompleted', 'Rollout step 2/3 completed');
    await recorder.normal(rollout, 'RolloutPaused', 'Rollout is paused');
    await recorder.normal(
      { ...rollout, metadata: { ...rollout.metadata, name: 'api', uid: 'uid-api' } },
      'RolloutPaused',
      'Rollout is paused',
    );
    expect(sink.events.size).toBe(5);
    expect(sink.calls.every((c) => c.startsWith('create'))).toBe(true);
  });

  it('creates a fresh Event when the aggregated one has expired', async () => {
    const { sink, recorder } = newRecorder();
    await recorder.normal(rollout, 'ScalingReplicaSet', 'Scaled up ReplicaSet web-abc to 1');
    sink.events.clear(); // the API server's event TTL
    await recorder.normal(rollout, 'ScalingReplicaSet', 'Scaled up ReplicaSet web-abc to 1');
    expect(sink.events.size).toBe(1);
    expect([...sink.events.values()][0]?.count).toBe(1);
  });

  it('never rejects: failures and unreferenceable objects go to onError', async () => {
    const { recorder, errors } = newRecorder();
    await recorder.normal({ metadata: { name: 'no-kind' } }, 'Reason', 'message');
    const failing = new EventRecorder({
      sink: {
        create: () => Promise.reject(new Error('events is forbidden')),
        patch: () => Promise.reject(new Error('unused')),
      },
      onError: (e) => errors.push(e.message),
    });
    await failing.warning(rollout, 'RolloutAborted', 'aborted');
    expect(errors).toEqual([
      'event Reason on object no-kind: the object needs kind and metadata.name to be referenced',
      'event Warning RolloutAborted on Rollout shop/web: events is forbidden',
    ]);
  });

  it('forgets the least recently used events beyond maxCachedEvents', async () => {
    const clock = new FakeClock();
    const sink = new MemorySink();
    const recorder = new EventRecorder({ sink, clock, maxCachedEvents: 2 });
    await recorder.normal(rollout, 'A', 'a');
    await recorder.normal(rollout, 'B', 'b');
    await recorder.normal(rollout, 'A', 'a'); // A is now the most recent
    await recorder.normal(rollout, 'C', 'c'); // evicts B
    await recorder.normal(rollout, 'B', 'b');
    expect(sink.calls.map((c) => c.split(' ')[0])).toEqual(['create', 'create', 'patch', 'create', 'create']);
  });

  it('tells listeners of each Event (notifications), and a throwing listener is an error, not a crash', async () => {
    const { recorder, errors, sink } = newRecorder();
    const seen: string[] = [];
    const remove = recorder.addListener((object, type, reason, message) =>
      seen.push(`${object.kind}/${object.metadata?.name} ${type} ${reason}: ${message}`),
    );
    recorder.addListener(() => {
      throw new Error('listener broke');
    });
    await recorder.normal(rollout, 'RolloutCompleted', 'done');
    remove();
    await recorder.warning(rollout, 'RolloutAborted', 'aborted');
    expect(seen).toEqual(['Rollout/web Normal RolloutCompleted: done']);
    expect(errors).toEqual(['listener broke', 'listener broke']);
    expect(sink.events.size).toBe(2);
  });
});

describe('EventRecorder ordering', () => {
  it("writes one object's Events in the order recorded, even when the first write is slow", async () => {
    const order: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const sink: EventSink = {
      async create(event) {
        if (event.reason === 'First') await gate;
        order.push(event.reason);
        return event;
      },
      async patch() {
        throw new Error('unexpected patch');
      },
    };
    const recorder = new EventRecorder({
      sink,
      clock: new FakeClock(Date.UTC(2025, 5, 1, 12, 0, 0)),
      instance: 'slipway-0',
      onError: () => {},
    });
    const first = recorder.normal(rollout, 'First', 'one');
    const second = recorder.normal(rollout, 'Second', 'two');
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['First', 'Second']);
  });
});
